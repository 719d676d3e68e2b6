package dev.kamado.operator;

import dev.kamado.api.v1alpha1.Dataset;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobSpec;
import dev.kamado.api.v1alpha1.Method;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.Output;
import dev.kamado.api.v1alpha1.TrainingMethod;

/** Resources shared by the operator's tests and benchmarks. */
public final class Fixtures {
  private Fixtures() {}

  /** The smallest valid FineTuneJob: full SFT of pvc://models/base/tiny on chat data, output to {@code output}. */
  public static FineTuneJob fineTuneJob(String name, String output) {
    FineTuneJob job = new FineTuneJob();
    job.getMetadata().setName(name);
    FineTuneJobSpec spec = new FineTuneJobSpec();
    spec.setObjective(Objective.SFT);
    spec.setBaseModel(ModelSource.ofUri("pvc://models/base/tiny"));
    Dataset dataset = new Dataset();
    dataset.setUri("pvc://datasets/triage/train.jsonl");
    dataset.setFormat(DatasetFormat.CHAT);
    spec.setDataset(dataset);
    Method method = new Method();
    method.setType(TrainingMethod.FULL);
    spec.setMethod(method);
    Output out = new Output();
    out.setUri(output);
    spec.setOutput(out);
    job.setSpec(spec);
    return job;
  }
}
