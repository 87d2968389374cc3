package dev.onnxtie.api;

/**
 * A model rewritten in memory ({@link OnnxTie#rewrite(Model, RewriteOptions)}) with what the
 * rewrite did; write it with {@link OnnxTie#write}.
 */
public record RewrittenModel(Model model, TieResult result) {}
