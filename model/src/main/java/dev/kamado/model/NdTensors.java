package dev.kamado.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.kamado.model.safetensors.DType;
import dev.kamado.model.safetensors.FloatCodec;
import dev.kamado.model.safetensors.TensorInfo;
import dev.kamado.model.safetensors.TensorSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Loads safetensors tensors into DJL {@link NDArray}s.
 *
 * <p>DJL 0.36's PyTorch JNI maps only FLOAT32, FLOAT64, FLOAT16, UINT8, INT32, INT8, INT64, BOOLEAN and COMPLEX64 to
 * torch types; any other {@link DataType} (BFLOAT16, INT16, the unsigned wider types) makes the native code call
 * {@code throw;} with no active exception, which aborts the whole JVM. So BF16 tensors are widened to FLOAT32 here
 * (exactly), I16 is refused, and no code should ask DJL's PyTorch engine for a BFLOAT16 array (creation or
 * {@code toType}).
 */
public final class NdTensors {

  private NdTensors() {
  }

  /**
   * Loads one tensor into an array owned by {@code manager}: F32, F16, F64, I64, I32, I8, U8 and BOOL keep their type;
   * BF16 becomes FLOAT32 with exactly the values {@link TensorSource#floats(String)} gives. The array owns its memory
   * (it never aliases the read-only file mapping), so in-place operations are safe.
   *
   * @throws IOException when the tensor cannot be read
   * @throws IllegalArgumentException when DJL's PyTorch engine cannot hold the dtype
   */
  public static NDArray load(NDManager manager, TensorSource source, String name) throws IOException {
    TensorInfo info = source.info(name);
    DataType type = dataType(info.dtype());
    ByteBuffer data = info.dtype() == DType.BF16 ? widenBf16(source.bytes(name), info) : source.bytes(name);
    try (NDManager scratch = manager.newSubManager()) {
      // The engine wraps a direct buffer without copying; duplicate() gives the array memory of its own.
      NDArray view = scratch.create(data, new Shape(info.shape()), type);
      NDArray owned = view.duplicate();
      owned.attach(manager);
      owned.setName(name);
      return owned;
    }
  }

  /**
   * {@code x * factor}, safe under autograd. DJL 0.36's {@code NDArray.mul(Number)} (likewise {@code div(Number)},
   * {@code pow(Number)}) wraps the Java number in a scalar tensor that aliases a Java direct buffer (torch
   * {@code from_blob}) and closes it right after the operation; autograd keeps that scalar for the backward pass, so
   * once the garbage collector frees the buffer, backward reads freed memory and gradients turn into garbage (NaN or
   * wrong values, depending on GC timing). Here the factor is a torch-owned scalar ({@code full}) in {@code x}'s manager.
   */
  public static NDArray times(NDArray x, float factor) {
    NDArray scalar = x.getManager().full(new Shape(), factor, x.getDataType());
    return x.mul(scalar);
  }

  /**
   * The DJL data type that {@link #load} produces for a safetensors dtype.
   *
   * @throws IllegalArgumentException for dtypes DJL's PyTorch engine cannot hold
   */
  public static DataType dataType(DType dtype) {
    switch (dtype) {
      case F32:
      case BF16:
        return DataType.FLOAT32;
      case F16:
        return DataType.FLOAT16;
      case F64:
        return DataType.FLOAT64;
      case I64:
        return DataType.INT64;
      case I32:
        return DataType.INT32;
      case I8:
        return DataType.INT8;
      case U8:
        return DataType.UINT8;
      case BOOL:
        return DataType.BOOLEAN;
      default:
        throw new IllegalArgumentException("DJL's PyTorch engine cannot hold safetensors dtype " + dtype);
    }
  }

  private static ByteBuffer widenBf16(ByteBuffer bf16, TensorInfo info) {
    int count = Math.toIntExact(info.elementCount());
    ByteBuffer f32 = ByteBuffer.allocateDirect(Math.multiplyExact(count, 4)).order(ByteOrder.nativeOrder());
    FloatCodec.widenBf16(bf16, f32.asFloatBuffer(), count);
    return f32;
  }
}
