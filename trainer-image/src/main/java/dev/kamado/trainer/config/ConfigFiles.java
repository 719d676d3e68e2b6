package dev.kamado.trainer.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kamado.api.training.TrainingConfig;
import dev.kamado.trainer.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Reads the training configuration file: the JSON the operator mounts ({@code training.json}) or the same structure
 * in YAML (chosen by the {@code .yaml}/{@code .yml} extension). Unknown fields are errors, so a typo never passes
 * unnoticed; every error names the file, the field path and the reason.
 */
public final class ConfigFiles {
  private static final ObjectMapper JSON = configure(new ObjectMapper());
  private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()));

  private ConfigFiles() {}

  private static ObjectMapper configure(ObjectMapper mapper) {
    return mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * Parses {@code file}.
   *
   * @throws InvalidInputException naming the file, field and reason when it is missing or invalid
   */
  public static TrainingConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("configuration file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read configuration file " + file + ": " + e.getMessage(), e);
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return parse(text, file.getFileName().toString(), name.endsWith(".yaml") || name.endsWith(".yml"));
  }

  /** Parses configuration text; {@code fileName} is used in messages. */
  public static TrainingConfig parse(String text, String fileName, boolean yaml) {
    if (text.isBlank()) {
      throw new InvalidInputException(fileName + ": the configuration is empty");
    }
    try {
      TrainingConfig config = (yaml ? YAML : JSON).readValue(text, TrainingConfig.class);
      if (config == null) {
        throw new InvalidInputException(fileName + ": the configuration is empty");
      }
      if (config.version() != 0 && config.version() != TrainingConfig.VERSION) {
        throw new InvalidInputException(fileName + ": field \"version\" is " + config.version()
            + ", this trainer reads version " + TrainingConfig.VERSION);
      }
      return config;
    } catch (UnrecognizedPropertyException e) {
      String known = e.getKnownPropertyIds() == null ? "" : " (known: " + e.getKnownPropertyIds().stream()
          .map(Object::toString).sorted().collect(Collectors.joining(", ")) + ")";
      throw new InvalidInputException(fileName + ": unknown field \"" + path(e) + "\"" + known, e);
    } catch (InvalidFormatException e) {
      String allowed = e.getTargetType() != null && e.getTargetType().isEnum()
          ? ", expected one of " + enumValues(e.getTargetType())
          : ", expected " + simpleType(e.getTargetType());
      throw new InvalidInputException(fileName + ": field \"" + path(e) + "\": invalid value \""
          + e.getValue() + "\"" + allowed, e);
    } catch (MismatchedInputException e) {
      throw new InvalidInputException(fileName + ": field \"" + path(e) + "\" has the wrong type, expected "
          + simpleType(e.getTargetType()), e);
    } catch (JsonMappingException e) {
      throw new InvalidInputException(fileName + ": field \"" + path(e) + "\": " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + " column "
          + e.getLocation().getColumnNr();
      throw new InvalidInputException(fileName + ": not valid " + (yaml ? "YAML" : "JSON") + where + ": "
          + e.getOriginalMessage(), e);
    }
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "(top level)" : sb.toString();
  }

  private static String enumValues(Class<?> type) {
    return Arrays.stream(type.getEnumConstants()).map(c -> {
      try {
        var p = type.getField(((Enum<?>) c).name()).getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
        return p == null ? c.toString() : p.value();
      } catch (NoSuchFieldException ex) {
        return c.toString();
      }
    }).collect(Collectors.joining(", "));
  }

  private static String simpleType(Class<?> type) {
    if (type == null) {
      return "another type";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Double.class || type == double.class) {
      return "a number";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (java.util.Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "an object";
  }
}
