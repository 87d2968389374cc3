package dev.onnxtie.maven;

import dev.onnxtie.cli.OnnxTieCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * The gate: fails the build while the configured models hold untied duplicates (identical,
 * transposed or reshaped copies of a weight), with the lines {@code onnx-tie check} prints: one per
 * duplicate, then the verdict and the fix. Exit codes map onto Maven's two failures: 1 (duplicates)
 * is a {@code MojoFailureException}, 2 (bad input) and 3 (internal error) a {@code
 * MojoExecutionException}.
 *
 * <p>It runs the tool's {@code check} command in this JVM (the lines are the CLI's by construction:
 * they are rendered by the CLI, not copied here).
 */
@Mojo(name = "check", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class CheckMojo extends AbstractMojo {
  /** The project's folder: the patterns of {@link #models} are relative to it. */
  @Parameter(defaultValue = "${project.basedir}", readonly = true, required = true)
  private java.io.File basedir;

  /** The model files to check: glob patterns relative to the project's folder. */
  @Parameter(property = "onnx-tie.models", defaultValue = "src/main/resources/**/*.onnx")
  private List<String> models;

  /** Duplicates smaller than this many bytes are left alone ({@code --min-bytes}). */
  @Parameter(property = "onnx-tie.minBytes", defaultValue = "64")
  private long minBytes;

  /**
   * Only look inside each file, not for tensors several files each hold ({@code --within-files}).
   */
  @Parameter(property = "onnx-tie.withinFiles", defaultValue = "false")
  private boolean withinFiles;

  /** Also fail on weights tied through a Transpose that ONNX Runtime holds twice. */
  @Parameter(property = "onnx-tie.transposedTies", defaultValue = "false")
  private boolean transposedTies;

  /** Skips the goal. */
  @Parameter(property = "onnx-tie.skip", defaultValue = "false")
  private boolean skip;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("onnx-tie: check skipped (onnx-tie.skip)");
      return;
    }
    List<Path> files = Models.find(basedir.toPath(), models);
    if (files.isEmpty()) {
      getLog()
          .info("onnx-tie: no model matches " + String.join(", ", models) + "; nothing to check");
      return;
    }
    List<String> args = new ArrayList<>(List.of("check", "--min-bytes", Long.toString(minBytes)));
    if (withinFiles) {
      args.add("--within-files");
    }
    if (transposedTies) {
      args.add("--transposed-ties");
    }
    files.forEach(file -> args.add(file.toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (PrintWriter outWriter = new PrintWriter(out);
        PrintWriter errWriter = new PrintWriter(err)) {
      code = OnnxTieCli.run(outWriter, errWriter, args.toArray(String[]::new));
    }
    List<String> lines = out.toString().lines().toList();
    List<String> errors = err.toString().lines().toList();
    for (String line : lines) {
      if (code == 0) {
        getLog().info(line);
      } else {
        getLog().error(line);
      }
    }
    errors.forEach(getLog()::error);
    String last =
        !errors.isEmpty()
            ? errors.get(errors.size() - 1)
            : lines.isEmpty() ? "exit " + code : lines.get(lines.size() - 1);
    switch (code) {
      case 0 -> {}
      case 1 -> {
        getLog()
            .error(
                "onnx-tie: or tie the copies the build packages: add the goal 'rewrite' of"
                    + " onnx-tie-maven-plugin (see docs/pipelines.md)");
        throw new MojoFailureException("onnx-tie " + last);
      }
      default -> throw new MojoExecutionException(last + " (exit " + code + ")");
    }
  }
}
