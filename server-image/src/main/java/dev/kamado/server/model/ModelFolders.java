package dev.kamado.server.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where the parts of a served model are: the base model folder, the LoRA adapter folder (or none) and the folder
 * holding the tokenizer.
 *
 * @param base folder with config.json and the weights
 * @param adapter folder with adapter_config.json and adapter_model.safetensors, or null
 * @param tokenizer folder with tokenizer.json (the adapter's when it has one, else the base's)
 */
public record ModelFolders(Path base, Path adapter, Path tokenizer) {

  /** Sub-folder where the trainer writes the merged model next to a LoRA adapter ({@code lora.merge: true}). */
  public static final String MERGED = "merged";

  /**
   * Resolves {@code --model} and {@code --adapter}: a full model folder (config.json); a trainer output folder holding
   * an adapter and the merged model in {@code merged/} (the merged model is served); or an adapter folder whose
   * adapter_config.json names its base in {@code base_model_name_or_path}: a local path (relative paths are taken
   * from the adapter folder, {@code file://} is allowed) or {@code pvc://claim/path} as the trainer writes it, read
   * from {@code volumesDir/claim/path} (where the operator mounts each claim).
   *
   * @throws InvalidModelException when a folder or its key file is missing
   */
  public static ModelFolders resolve(Path model, Path adapter, Path volumesDir) throws InvalidModelException {
    requireFolder(model, "--model");
    Path base = model;
    Path adapterDir = adapter;
    if (!Files.isRegularFile(model.resolve("config.json")) && adapter == null
        && Files.isRegularFile(model.resolve(MERGED).resolve("config.json"))) {
      Path merged = model.resolve(MERGED);
      Path tokenizer = Files.isRegularFile(merged.resolve("tokenizer.json")) ? merged : model;
      return new ModelFolders(merged, null, tokenizer);
    }
    if (!Files.isRegularFile(model.resolve("config.json"))) {
      if (!Files.isRegularFile(model.resolve("adapter_config.json"))) {
        throw new InvalidModelException("model folder " + model
            + " has neither config.json (a full model) nor adapter_config.json (a LoRA adapter)");
      }
      if (adapter != null) {
        throw new InvalidModelException("--model " + model + " is a LoRA adapter; --adapter " + adapter
            + " needs --model to be a full model folder");
      }
      adapterDir = model;
      base = baseOf(model, volumesDir);
    }
    if (adapterDir != null) {
      requireFolder(adapterDir, "--adapter");
      if (!Files.isRegularFile(adapterDir.resolve("adapter_config.json"))) {
        throw new InvalidModelException("adapter folder " + adapterDir + " has no adapter_config.json");
      }
    }
    Path tokenizer = adapterDir != null && Files.isRegularFile(adapterDir.resolve("tokenizer.json"))
        ? adapterDir : base;
    if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
      throw new InvalidModelException("model folder " + base + " has no tokenizer.json"
          + (adapterDir != null ? " (nor has the adapter folder " + adapterDir + ")" : ""));
    }
    return new ModelFolders(base, adapterDir, tokenizer);
  }

  private static Path baseOf(Path adapterDir, Path volumesDir) throws InvalidModelException {
    Path configFile = adapterDir.resolve("adapter_config.json");
    JsonNode config;
    try {
      config = new ObjectMapper().readTree(Files.readString(configFile));
    } catch (IOException e) {
      throw new InvalidModelException("cannot read " + configFile + ": " + e.getMessage(), e);
    }
    JsonNode ref = config == null ? null : config.get("base_model_name_or_path");
    if (ref == null || !ref.isTextual() || ref.asText().isBlank()) {
      throw new InvalidModelException(configFile + ": base_model_name_or_path is missing; give the base model "
          + "with --model BASE --adapter " + adapterDir);
    }
    String value = ref.asText();
    Path base;
    if (value.startsWith(PVC_SCHEME)) {
      base = pvcPath(value, configFile, volumesDir);
    } else {
      if (value.startsWith("file://")) {
        value = value.substring("file://".length());
      }
      base = adapterDir.resolve(value).normalize();
    }
    if (!Files.isRegularFile(base.resolve("config.json"))) {
      throw new InvalidModelException(configFile + ": base_model_name_or_path '" + ref.asText()
          + "' is not a model folder here (" + base + " has no config.json); give it with --model BASE --adapter "
          + adapterDir);
    }
    return base;
  }

  private static final String PVC_SCHEME = "pvc://";
  private static final Pattern CLAIM = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** {@code pvc://claim/path} -> {@code volumesDir/claim/path}; refuses paths that leave the claim. */
  static Path pvcPath(String uri, Path configFile, Path volumesDir) throws InvalidModelException {
    String rest = uri.substring(PVC_SCHEME.length());
    int slash = rest.indexOf('/');
    String claim = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash + 1);
    if (!CLAIM.matcher(claim).matches()) {
      throw new InvalidModelException(configFile + ": base_model_name_or_path '" + uri + "' does not name a "
          + "PersistentVolumeClaim (pvc://<claim>/<path>)");
    }
    Path claimDir = volumesDir.resolve(claim).normalize();
    Path resolved = claimDir.resolve(path).normalize();
    if (!resolved.startsWith(claimDir)) {
      throw new InvalidModelException(configFile + ": base_model_name_or_path '" + uri + "' leaves its claim");
    }
    if (!Files.isDirectory(claimDir)) {
      throw new InvalidModelException(configFile + ": base_model_name_or_path '" + uri + "' is on claim '" + claim
          + "', which is not mounted at " + claimDir + "; mount the claim there (the operator does when the "
          + "ModelServer's model is on it) or give the base with --model BASE --adapter " + configFile.getParent());
    }
    return resolved;
  }

  private static void requireFolder(Path dir, String flag) throws InvalidModelException {
    if (!Files.isDirectory(dir)) {
      throw new InvalidModelException(flag + " " + dir + " is not a folder");
    }
  }
}
