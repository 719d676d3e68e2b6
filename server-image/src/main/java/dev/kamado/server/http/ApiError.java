package dev.kamado.server.http;

/**
 * An error answered in OpenAI's shape {@code {"error":{"message","type","param","code"}}} with an HTTP status.
 */
public final class ApiError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final String param;
  private final String code;

  /**
   * An error.
   *
   * @param status HTTP status
   * @param type OpenAI error type, such as invalid_request_error
   * @param param the request field at fault, or null
   * @param code a machine-readable code, or null
   * @param message what is wrong, for people
   */
  public ApiError(int status, String type, String param, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 for a request field that is missing, malformed or not allowed. */
  public static ApiError invalid(String param, String message) {
    return new ApiError(400, "invalid_request_error", param, null, message);
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** OpenAI error type. */
  public String type() {
    return type;
  }

  /** The request field at fault, or null. */
  public String param() {
    return param;
  }

  /** Machine-readable code, or null. */
  public String code() {
    return code;
  }
}
