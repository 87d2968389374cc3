package dev.onnxtie.api;

import dev.onnxtie.pass.InsertOptions;
import java.util.List;

/**
 * What {@code insert} should add, and whether to verify the original outputs afterwards.
 *
 * @param encoder the encoder's MatMul or Gemm node (with {@code mirror}: any layer of the chain, or
 *     null)
 * @param input the decoder's input tensor, or null for the encoder's output
 * @param activation none, relu, sigmoid, tanh or same (the encoder's); null for none
 * @param bias zeros, none, encoder, or the name of an existing initializer; null for zeros
 * @param output name of the new graph output, or null for a derived one
 * @param mirror append the whole mirrored decoder stack of a chain of dense layers
 * @param verify when not null, the output is run against the input in ONNX Runtime (on the input's
 *     outputs, unless the options name others) before it is renamed into place
 */
public record InsertRequest(
    String encoder,
    String input,
    String activation,
    String bias,
    String output,
    boolean mirror,
    VerifySettings verify) {

  /** The decoder's activation and bias when none is named ({@code insert}'s defaults). */
  public InsertRequest {
    activation = activation == null ? "none" : activation;
    bias = bias == null ? "zeros" : bias;
  }

  /** The valid {@code --activation} values. */
  public static final List<String> ACTIVATIONS = List.of("none", "relu", "sigmoid", "tanh", "same");

  InsertOptions toOptions() {
    return new InsertOptions(encoder, input, activation, bias, output, mirror);
  }
}
