package dev.kamado.trainer.checkpoint;

/**
 * The scalar part of a checkpoint, stored as {@code state.json}. With the trainable weights and the optimizer moments
 * it determines the rest of the run exactly: data order is a pure function of (seed, epoch), the position in it is
 * {@code microBatches}, the learning rate a pure function of {@code step}, and dropout is reseeded before every
 * micro-batch from (seed, step, micro-batch), so no random generator state has to be saved.
 *
 * @param format format version of this file, {@value #FORMAT}
 * @param step optimizer steps done
 * @param microBatches micro-batches consumed (the position in the planned data order)
 * @param totalSteps optimizer steps of the whole run
 * @param seed the run's seed
 * @param learningRate learning rate of the last step done
 * @param fingerprint sha256 over everything that shapes the run (base model, data, method, hyper-parameters); a
 *     checkpoint with another fingerprint belongs to another run and is not resumed
 * @param time when it was written (RFC 3339)
 */
public record CheckpointState(
    int format,
    long step,
    long microBatches,
    long totalSteps,
    long seed,
    double learningRate,
    String fingerprint,
    String time) {

  /** Version of the checkpoint layout. */
  public static final int FORMAT = 1;
}
