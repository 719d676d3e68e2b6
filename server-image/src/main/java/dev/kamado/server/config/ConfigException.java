package dev.kamado.server.config;

/** Invalid server configuration; the message names the setting, where it came from and why. */
public final class ConfigException extends Exception {

  private static final long serialVersionUID = 1L;

  /** An error with its message. */
  public ConfigException(String message) {
    super(message);
  }
}
