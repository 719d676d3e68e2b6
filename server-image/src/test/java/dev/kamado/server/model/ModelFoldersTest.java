package dev.kamado.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapter folders whose base model is given as a pvc:// URI, laid out as the operator mounts claims. */
class ModelFoldersTest {

  @TempDir
  Path dir;

  private Path volumes() {
    return dir.resolve("kamado/volumes");
  }

  private Path baseModel(String claim, String path) throws IOException {
    Path base = Files.createDirectories(volumes().resolve(claim).resolve(path));
    Files.writeString(base.resolve("config.json"), "{}");
    Files.writeString(base.resolve("tokenizer.json"), "{}");
    return base;
  }

  private Path adapter(String claim, String path, String baseRef) throws IOException {
    Path adapter = Files.createDirectories(volumes().resolve(claim).resolve(path));
    Files.writeString(adapter.resolve("adapter_config.json"),
        "{\"peft_type\": \"LORA\", \"r\": 8, \"base_model_name_or_path\": \"" + baseRef + "\"}");
    return adapter;
  }

  @Test
  void pvcBaseIsReadFromTheClaimsMount() throws Exception {
    Path base = baseModel("models", "bases/smol");
    // the trainer writes the base as the URI the FineTuneJob named
    Path adapter = adapter("outputs", "jobs/support-bot/adapter", "pvc://models/bases/smol");
    ModelFolders folders = ModelFolders.resolve(adapter, null, volumes());
    assertThat(folders.base()).isEqualTo(base);
    assertThat(folders.adapter()).isEqualTo(adapter);
    assertThat(folders.tokenizer()).isEqualTo(base);
    // a trailing slash and a base at the claim's root work too
    Path root = baseModel("rootclaim", "");
    assertThat(ModelFolders.resolve(adapter("outputs", "a2", "pvc://rootclaim"), null, volumes()).base())
        .isEqualTo(root);
    assertThat(ModelFolders.resolve(adapter("outputs", "a3", "pvc://models/bases/smol/"), null, volumes()).base())
        .isEqualTo(base);
  }

  @Test
  void pvcBaseErrorsSayWhatIsWrong() throws Exception {
    baseModel("models", "bases/smol");
    Path unmounted = adapter("outputs", "a", "pvc://other-claim/bases/smol");
    assertThatThrownBy(() -> ModelFolders.resolve(unmounted, null, volumes()))
        .isInstanceOf(InvalidModelException.class)
        .hasMessageContaining("claim 'other-claim'").hasMessageContaining("not mounted at " + volumes()
            .resolve("other-claim"));
    Path missing = adapter("outputs", "b", "pvc://models/bases/gone");
    assertThatThrownBy(() -> ModelFolders.resolve(missing, null, volumes()))
        .hasMessageContaining("'pvc://models/bases/gone' is not a model folder here");
    Path escaping = adapter("outputs", "c", "pvc://models/../outputs/x");
    assertThatThrownBy(() -> ModelFolders.resolve(escaping, null, volumes())).hasMessageContaining("leaves its claim");
    Path badClaim = adapter("outputs", "d", "pvc://Not_A_Claim/x");
    assertThatThrownBy(() -> ModelFolders.resolve(badClaim, null, volumes()))
        .hasMessageContaining("does not name a PersistentVolumeClaim");
  }

  @Test
  void relativeAndFileBasesStillWork() throws Exception {
    Path base = baseModel("models", "bases/smol");
    Path adapter = adapter("models", "adapters/one", "../../bases/smol");
    assertThat(ModelFolders.resolve(adapter, null, volumes()).base()).isEqualTo(base);
    Path viaFile = adapter("models", "adapters/two", "file://" + base);
    assertThat(ModelFolders.resolve(viaFile, null, volumes()).base()).isEqualTo(base);
  }
}
