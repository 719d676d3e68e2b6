package dev.kamado.model.llama;

/**
 * e^x for float from exactly rounded operations only, so that the scalar and the Vector API forms give the same bits on
 * any CPU, in the interpreter and in compiled code; about 4x faster than {@link Math#exp} as a scalar, about 35x as
 * vectors of 16 (DecodeKernelBench). Used by the Java decode step (softmax, SwiGLU) and by the server's sampler.
 */
public final class Exp {

  private Exp() {
  }

  // exp(x) = 2^k * e^r with k = round(x / ln 2) and r = x - k ln 2 (ln 2 in two parts, Cody and Waite), e^r by its
  // Taylor polynomial of degree 7 (|r| <= ln 2 / 2: error below 4e-9, within 2 ulp after rounding).
  static final float EXP_LOG2E = 1.44269504f;
  /** 1.5 * 2^23: adding it rounds to an integer, which then sits in the low bits of the sum. */
  static final float EXP_ROUND = 12582912f;
  static final float EXP_LN2_HI = 0.693145752f;
  static final float EXP_LN2_LO = 1.42860677e-6f;
  /** 1/7!, 1/6!, ..., 1/1!, 1/0! (Horner order). */
  static final float[] EXP_TAYLOR = {1f / 5040, 1f / 720, 1f / 120, 1f / 24, 1f / 6, 0.5f, 1f, 1f};
  /** Below this, exp is below the smallest normal float: 0. */
  static final float EXP_MIN = -87.33654f;
  /** Above this, inf (exp(88) is 1.65e38, near the largest float). */
  static final float EXP_MAX = 88f;

  /**
   * e^x from exactly rounded operations only ({@link Math#fma}, +, *, bit moves), so that {@link VectorKernels#exp}
   * computes the same bits lane by lane; {@link Math#exp} may differ by an ulp between the interpreter, compiled code
   * and the Vector API. Within 2 ulp of e^x; 0 below {@link #EXP_MIN}, inf above {@link #EXP_MAX}, NaN for NaN.
   */
  public static float exp(float x) {
    if (x < EXP_MIN) {
      return 0f;
    }
    if (x > EXP_MAX) {
      return Float.POSITIVE_INFINITY;
    }
    float t = Math.fma(x, EXP_LOG2E, EXP_ROUND);
    float k = t - EXP_ROUND;
    float r = Math.fma(k, -EXP_LN2_HI, x);
    r = Math.fma(k, -EXP_LN2_LO, r);
    float p = EXP_TAYLOR[0];
    for (int i = 1; i < EXP_TAYLOR.length; i++) {
      p = Math.fma(p, r, EXP_TAYLOR[i]);
    }
    int scale = (Float.floatToRawIntBits(t) - Float.floatToRawIntBits(EXP_ROUND) + 127) << 23;
    return p * Float.intBitsToFloat(scale);
  }

  /**
   * {@code out[i] = exp((x[i] - shift) * scale)} for i below n, with {@link #exp}'s bits (vectors of the preferred
   * species when the JVM has {@code jdk.incubator.vector}, see {@link LlamaModel#javaDecodeKernel()}).
   */
  public static void expScaled(float[] x, int n, float shift, float scale, float[] out) {
    if (JavaDecoder.VECTOR) {
      VectorKernels.expScaled(x, n, shift, scale, out);
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = exp((x[i] - shift) * scale);
      }
    }
  }
}
