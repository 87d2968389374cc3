package dev.onnxtie.pass;

/**
 * Options of {@link InsertTiedDecoder}.
 *
 * @param encoder name of the encoder's MatMul or Gemm node (with {@code mirror}: any layer of the
 *     chain, or null for the chain that starts at a graph input)
 * @param input the decoder's input tensor, or null for the encoder's output
 * @param activation none, relu, sigmoid, tanh or same (the encoder's)
 * @param bias zeros, none, encoder, or the name of an existing initializer
 * @param output name of the new graph output, or null for a derived one
 * @param mirror append the whole mirrored decoder stack of a chain of dense layers
 */
public record InsertOptions(
    String encoder, String input, String activation, String bias, String output, boolean mirror) {}
