package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** The weights of one decoder layer: RMSNorm, attention projections, RMSNorm, gated MLP projections. */
final class DecoderLayer {

  final NDArray inputNorm;
  final Projection q;
  final Projection k;
  final Projection v;
  final Projection o;
  final NDArray postNorm;
  final Projection gate;
  final Projection up;
  final Projection down;
  final List<Projection> projections;

  DecoderLayer(NDArray inputNorm, Projection q, Projection k, Projection v, Projection o, NDArray postNorm,
      Projection gate, Projection up, Projection down) {
    this.inputNorm = inputNorm;
    this.q = q;
    this.k = k;
    this.v = v;
    this.o = o;
    this.postNorm = postNorm;
    this.gate = gate;
    this.up = up;
    this.down = down;
    this.projections = List.of(q, k, v, o, gate, up, down);
  }

  Projection projection(String module) {
    for (Projection p : projections) {
      if (p.module.equals(module)) {
        return p;
      }
    }
    throw new IllegalArgumentException("no module " + module);
  }
}
