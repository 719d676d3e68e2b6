package dev.kamado.operator.finetune;

/**
 * The base model a FineTuneJob starts from once its {@code spec.baseModel} is resolved: a URI given by the user,
 * or the model another FineTuneJob produced (then with its digest and the producing job's name).
 */
public record ResolvedBaseModel(String uri, String digest, String fromJob) {}
