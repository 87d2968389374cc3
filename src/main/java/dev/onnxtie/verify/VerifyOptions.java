package dev.onnxtie.verify;
/** PLACEHOLDER until the verify package lands. */
public record VerifyOptions(long seed) { public static VerifyOptions defaults() { return new VerifyOptions(42); } }
