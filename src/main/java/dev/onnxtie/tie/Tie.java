package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;

/**
 * One confirmed tie: {@code removed} equals {@code kept} under {@code relation}, bit for bit.
 *
 * @param kept the tensor that stays (the "encoder")
 * @param removed the duplicate (the "decoder")
 * @param relation how removed is made from kept
 */
public record Tie(TensorSource kept, TensorSource removed, Relation relation) {}
