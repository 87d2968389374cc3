/**
 * Tie detection: finds constant tensors that are exact copies or exact axis permutations of each
 * other, bit for bit, in any dtype. One pass over each tensor's bytes computes a permutation-invariant
 * {@link dev.onnxtie.tie.PermutationKey}; tensors sharing a key are confirmed byte-exact by
 * {@link dev.onnxtie.tie.PermutationCheck}; {@link dev.onnxtie.tie.TieFinder} groups them and picks
 * the tensor that stays.
 */
package dev.onnxtie.tie;
