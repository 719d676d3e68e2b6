package dev.kamado.operator.autoscale;

/** A ready inference server pod whose figures the autoscaler reads. */
public record ServerPod(String name, String uid, String ip) {}
