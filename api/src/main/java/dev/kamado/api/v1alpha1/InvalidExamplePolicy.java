package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the trainer does with a dataset line that is malformed, lacks a field or is too long. */
public enum InvalidExamplePolicy {
  /** Fail the run with the "invalid input" exit code, naming file, line and reason. */
  @JsonProperty("fail")
  FAIL,
  /** Skip the line, and report every skipped line and the counts per reason in the result. */
  @JsonProperty("skip")
  SKIP
}
