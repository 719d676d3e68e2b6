package dev.kamado.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A training run: continued pre-training, supervised fine-tuning (LoRA or full) or distillation of a base model on
 * a dataset, run as a GPU training Job with checkpoints and automatic resume, producing a versioned model.
 */
@Group(FineTuneJob.GROUP)
@Version(FineTuneJob.VERSION)
@Kind("FineTuneJob")
@Plural("finetunejobs")
@Singular("finetunejob")
@ShortNames({"ftj", "ftjs"})
@Categories({"kamado"})
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Progress",
    jsonPath = ".status.progress.percent",
    type = AdditionalPrinterColumn.Type.INTEGER,
    getDescription = "Percent of the training steps done")
@AdditionalPrinterColumn(
    name = "Loss",
    jsonPath = ".status.progress.loss",
    type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(
    name = "Step",
    jsonPath = ".status.progress.step",
    type = AdditionalPrinterColumn.Type.INTEGER,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Eval Loss",
    jsonPath = ".status.progress.evalLoss",
    type = AdditionalPrinterColumn.Type.NUMBER,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Model",
    jsonPath = ".status.model.uri",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
    value = "size(self.metadata.name) <= 63",
    message = "metadata.name must be at most 63 characters: it names the training Job and its pods")
// Immutability once started. Written with has() rather than CEL optionals (self.spec.?x): the API server's cost
// estimate for optional equality exceeds the CRD budget by far, while this form stays well inside it.
@ValidationRule(
    value = "!has(oldSelf.status) || !has(oldSelf.status.startTime) || ("
        + "self.spec.objective == oldSelf.spec.objective"
        + " && self.spec.baseModel == oldSelf.spec.baseModel"
        + " && self.spec.dataset == oldSelf.spec.dataset"
        + " && self.spec.method == oldSelf.spec.method"
        + " && self.spec.output == oldSelf.spec.output"
        + " && has(self.spec.teacher) == has(oldSelf.spec.teacher)"
        + " && (!has(self.spec.teacher) || self.spec.teacher == oldSelf.spec.teacher)"
        + " && has(self.spec.hyperParameters) == has(oldSelf.spec.hyperParameters)"
        + " && (!has(self.spec.hyperParameters) || self.spec.hyperParameters == oldSelf.spec.hyperParameters)"
        + " && has(self.spec.resources) == has(oldSelf.spec.resources)"
        + " && (!has(self.spec.resources) || self.spec.resources == oldSelf.spec.resources)"
        + " && has(self.spec.scheduling) == has(oldSelf.spec.scheduling)"
        + " && (!has(self.spec.scheduling) || self.spec.scheduling == oldSelf.spec.scheduling)"
        + " && has(self.spec.podMetadata) == has(oldSelf.spec.podMetadata)"
        + " && (!has(self.spec.podMetadata) || self.spec.podMetadata == oldSelf.spec.podMetadata)"
        + " && has(self.spec.checkpoint) == has(oldSelf.spec.checkpoint)"
        + " && (!has(self.spec.checkpoint) || self.spec.checkpoint == oldSelf.spec.checkpoint)"
        + " && has(self.spec.image) == has(oldSelf.spec.image)"
        + " && (!has(self.spec.image) || self.spec.image == oldSelf.spec.image)"
        + " && has(self.spec.backoffLimit) == has(oldSelf.spec.backoffLimit)"
        + " && (!has(self.spec.backoffLimit) || self.spec.backoffLimit == oldSelf.spec.backoffLimit)"
        + " && has(self.spec.activeDeadlineSeconds) == has(oldSelf.spec.activeDeadlineSeconds)"
        + " && (!has(self.spec.activeDeadlineSeconds) || self.spec.activeDeadlineSeconds == oldSelf.spec.activeDeadlineSeconds))",
    message = "spec is immutable once the job has started (status.startTime is set), except spec.suspend; "
        + "create a new FineTuneJob instead",
    reason = "FieldValueForbidden",
    fieldPath = ".spec")
public class FineTuneJob extends CustomResource<FineTuneJobSpec, FineTuneJobStatus> implements Namespaced {
  public static final String GROUP = "kamado.dev";
  public static final String VERSION = "v1alpha1";

  @Override
  protected FineTuneJobStatus initStatus() {
    return new FineTuneJobStatus();
  }
}
