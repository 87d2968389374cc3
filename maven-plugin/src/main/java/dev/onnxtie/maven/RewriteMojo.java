package dev.onnxtie.maven;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.VerifySettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Ties the duplicated weights of the models in the build's output folder ({@code target/classes})
 * in place, after the resources are copied and before the tests and the jar see them. Each rewrite
 * is verified in ONNX Runtime against the model it replaces before it is renamed into place (unless
 * {@code verify} is off): a mismatch fails the build and leaves the model as it was.
 */
@Mojo(name = "rewrite", defaultPhase = LifecyclePhase.PROCESS_CLASSES, threadSafe = true)
public class RewriteMojo extends AbstractMojo {
  /** The folder the models are in: the build's output folder by default. */
  @Parameter(property = "onnx-tie.directory", defaultValue = "${project.build.outputDirectory}")
  private java.io.File directory;

  /** The model files to rewrite: glob patterns relative to {@link #directory}. */
  @Parameter(property = "onnx-tie.models", defaultValue = "**/*.onnx")
  private List<String> models;

  /** Run each rewrite against its original in ONNX Runtime before it replaces it. */
  @Parameter(property = "onnx-tie.verify", defaultValue = "true")
  private boolean verify;

  /**
   * How a transposed copy's readers read the kept weight: {@code transpose} (a Transpose node) or
   * {@code gemm} (the memory form: MatMul becomes Gemm with transB, which ONNX Runtime does not
   * materialize) — {@code --form}.
   */
  @Parameter(property = "onnx-tie.form", defaultValue = "transpose")
  private String form;

  /**
   * When set, the models of each folder are written against one external data file of this name in
   * which every distinct tensor is stored once ({@code --shared-data}); every {@code .onnx} file of
   * such a folder is rewritten.
   */
  @Parameter(property = "onnx-tie.sharedData")
  private String sharedData;

  /** Duplicates smaller than this many bytes are left alone ({@code --min-bytes}). */
  @Parameter(property = "onnx-tie.minBytes", defaultValue = "64")
  private long minBytes;

  /** Skips the goal. */
  @Parameter(property = "onnx-tie.skip", defaultValue = "false")
  private boolean skip;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("onnx-tie: rewrite skipped (onnx-tie.skip)");
      return;
    }
    List<Path> files = Models.find(directory.toPath(), models);
    if (files.isEmpty()) {
      getLog()
          .info(
              "onnx-tie: no model matches "
                  + String.join(", ", models)
                  + " under "
                  + directory
                  + "; nothing to rewrite");
      return;
    }
    try {
      RewriteOptions options =
          RewriteOptions.defaults()
              .withForm(form)
              .withMinBytes(minBytes)
              .withVerify(verify ? VerifySettings.defaults() : null);
      if (sharedData == null || sharedData.isBlank()) {
        for (Path file : files) {
          log(OnnxTie.rewrite(file, file, options));
        }
      } else {
        Map<Path, Boolean> folders = new TreeMap<>();
        files.forEach(file -> folders.put(file.getParent(), true));
        for (Path folder : folders.keySet()) {
          FolderRewriteReport report =
              OnnxTie.rewriteFolder(folder, folder, options, sharedData, 1, Progress.NONE);
          report.models().forEach(this::log);
          getLog()
              .info(
                  "onnx-tie: "
                      + folder
                      + ": "
                      + report.bytesBefore()
                      + " -> "
                      + report.bytesAfter()
                      + " bytes with shared data "
                      + sharedData);
        }
      }
    } catch (OnnxTieException e) {
      String message = "onnx-tie: " + e.getMessage();
      getLog().error(message);
      if (e.exitCode() == OnnxTieException.CHECK_FAILED) {
        throw new MojoFailureException(message);
      }
      throw new MojoExecutionException(message + " (exit " + e.exitCode() + ")", e);
    }
  }

  private void log(RewriteReport report) {
    int ties = report.result().ties().size();
    getLog()
        .info(
            "onnx-tie: "
                + report.input()
                + ": "
                + ties
                + (ties == 1 ? " tie, " : " ties, ")
                + report.bytesBefore()
                + " -> "
                + report.bytesAfter()
                + " bytes"
                + (report.verification() == null
                    ? ""
                    : report.verification().passed()
                        ? ", verified in ONNX Runtime: passed"
                        : ", verification FAILED"));
  }
}
