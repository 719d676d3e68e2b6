package dev.kamado.demo.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The phrase lists the generators compose inquiries and corpus documents from, read from the resource
 * {@code inquiry-phrases.txt}: {@code key: a; b; c} lines, where a repeated key extends its list and {@code \n} in a
 * value is a line break.
 */
public final class PhraseBook {
  private static final String RESOURCE = "/inquiry-phrases.txt";

  private final Map<String, List<String>> lists;
  private final List<SystemName> systems;
  private final List<Department> departments;

  private PhraseBook(Map<String, List<String>> lists, List<SystemName> systems, List<Department> departments) {
    this.lists = lists;
    this.systems = systems;
    this.departments = departments;
  }

  /** The phrase book shipped with the demo. */
  public static PhraseBook standard() {
    try (InputStream in = PhraseBook.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " is missing from the demo jar");
      }
      return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static PhraseBook parse(BufferedReader reader) throws IOException {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    List<SystemName> systems = new ArrayList<>();
    List<Department> departments = new ArrayList<>();
    String line;
    int lineNo = 0;
    while ((line = reader.readLine()) != null) {
      lineNo++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      int colon = trimmed.indexOf(": ");
      if (colon < 0) {
        throw new IllegalArgumentException(RESOURCE + " line " + lineNo + ": expected 'key: value'");
      }
      String key = trimmed.substring(0, colon);
      String value = trimmed.substring(colon + 2).replace("\\n", "\n");
      switch (key) {
        case "system" -> {
          String[] p = fields(value, 3, lineNo);
          systems.add(new SystemName(p[0], items(p[1]), items(p[2])));
        }
        case "department" -> {
          String[] p = fields(value, 3, lineNo);
          departments.add(new Department(p[0], items(p[1]), items(p[2])));
        }
        default -> {
          List<String> target = lists.computeIfAbsent(key, k -> new ArrayList<>());
          if (key.contains(".topic.")) {
            target.add(value);
          } else {
            target.addAll(items(value));
          }
        }
      }
    }
    lists.replaceAll((k, v) -> List.copyOf(v));
    return new PhraseBook(Map.copyOf(lists), List.copyOf(systems), List.copyOf(departments));
  }

  private static String[] fields(String value, int count, int lineNo) {
    String[] parts = value.split("\\|");
    if (parts.length != count) {
      throw new IllegalArgumentException(RESOURCE + " line " + lineNo + ": expected " + count + " '|'-separated fields");
    }
    for (int i = 0; i < parts.length; i++) {
      parts[i] = parts[i].strip();
    }
    return parts;
  }

  private static List<String> items(String value) {
    return Arrays.stream(value.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** The list under {@code key}; fails naming the key when there is none. */
  public List<String> list(String key) {
    List<String> list = lists.get(key);
    if (list == null || list.isEmpty()) {
      throw new IllegalArgumentException("phrase list '" + key + "' is missing from " + RESOURCE);
    }
    return list;
  }

  /** The list under {@code key}, or an empty list. */
  public List<String> optionalList(String key) {
    return lists.getOrDefault(key, List.of());
  }

  /** Internal systems and products, in schema order. */
  public List<SystemName> systems() {
    return systems;
  }

  /** The system with this canonical name. */
  public SystemName system(String canonical) {
    return systems.stream().filter(s -> s.canonical().equals(canonical)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown system '" + canonical + "' in " + RESOURCE));
  }

  /** Departments, in schema order. */
  public List<Department> departments() {
    return departments;
  }

  /** An internal system: its canonical name (the record's value) and how people write it in each language. */
  public record SystemName(String canonical, List<String> english, List<String> japanese) {
    /** Spellings in the given language ({@code en} or {@code ja}). */
    public List<String> spellings(String language) {
      return language.equals("ja") ? japanese : english;
    }
  }

  /** A department: the record's enum value and how people write it in each language. */
  public record Department(String value, List<String> english, List<String> japanese) {
    /** Spellings in the given language ({@code en} or {@code ja}). */
    public List<String> spellings(String language) {
      return language.equals("ja") ? japanese : english;
    }
  }
}
