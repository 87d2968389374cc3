/**
 * The {@code onnx-tie} command line (picocli): one class per subcommand, each parsing its options,
 * making one call into {@link dev.onnxtie.api.OnnxTie} and rendering the result as a short table or
 * as JSON ({@code --json}). Exit codes: 0 ok, 1 check or verification failed, 2 bad input or usage,
 * 3 internal error.
 */
package dev.onnxtie.cli;
