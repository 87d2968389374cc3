/**
 * The {@code onnx-tie} command line (picocli): one class per subcommand, each parsing its options,
 * making one call into {@link dev.onnxtie.api.OnnxTie} and rendering the api record it gets back as
 * a short table (one text view per command family: {@code RewriteText}, {@code CheckText}, {@code
 * InspectText}, {@code VerifyText}, with the lines they share in {@code Text}) or as one JSON
 * envelope ({@code Json}, described by {@code schemas/onnx-tie.schema.json}). Options several
 * commands share are picocli mixins in {@code SharedOptions}. Progress on a terminal's stderr is
 * {@code TerminalProgress} (an {@link dev.onnxtie.api.Progress}), {@code --version} is {@code
 * VersionInfo} (answered in {@code main} before picocli starts). This package imports {@code
 * dev.onnxtie.api} only (and the exception type). Exit codes: 0 ok, 1 check or verification failed,
 * 2 bad input or usage, 3 internal error.
 */
package dev.onnxtie.cli;
