/**
 * The {@code kamado.dev/v1alpha1} custom resources: {@link dev.kamado.api.v1alpha1.FineTuneJob} and
 * {@link dev.kamado.api.v1alpha1.ModelServer}.
 *
 * <p>The CRD YAML in {@code crds/} is generated from these classes by the build, so every schema
 * constraint and description lives here: {@code @JsonPropertyDescription} becomes the text that
 * {@code kubectl explain} shows, {@code @Min}/{@code @Max}/{@code @Pattern}/{@code @Size} become OpenAPI
 * validation, and {@code @ValidationRule} becomes a CEL rule checked by the API server.
 */
package dev.kamado.api.v1alpha1;
