package dev.onnxtie.api;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.FileOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An ONNX Runtime session of a model whose duplicated weights were tied on the way in, in the
 * memory form ({@code rewrite --form gemm}: a transposed copy read by MatMul becomes Gemm with
 * {@code transB}, so ONNX Runtime holds each weight once), with the report of what was tied. For a
 * Java service that loads an exported model as it is and wants the tied model's memory without a
 * second file on disk:
 *
 * <pre>{@code
 * try (TiedSession tied = TiedSession.open(env, Path.of("model.onnx"), new SessionOptions())) {
 *   System.out.println(tied.ties().bytesSaved() + " bytes of duplicates not loaded");
 *   OrtSession session = tied.session();
 *   ...
 * }
 * }</pre>
 *
 * <p>The tied model goes to ONNX Runtime through a staged file in a new folder under {@code
 * java.io.tmpdir}, which is removed as soon as the session is created (ONNX Runtime reads its
 * weights at creation; mapped pages of a removed file stay valid). A model with nothing to tie is
 * loaded from its own path. This class is apart from {@link OnnxTie} because its signature names
 * ONNX Runtime's types, which the rest of the api does not.
 */
public final class TiedSession implements AutoCloseable {
  private final OrtSession session;
  private final TieResult ties;

  private TiedSession(OrtSession session, TieResult ties) {
    this.session = session;
    this.ties = ties;
  }

  /**
   * Reads {@code model}, ties its duplicates of at least {@link OnnxTie#DEFAULT_MIN_BYTES} in the
   * memory form and creates a session of the result with {@code options}.
   *
   * @throws OnnxTieException exit code 2 when the model cannot be read or ONNX Runtime refuses it
   */
  public static TiedSession open(
      OrtEnvironment env, Path model, OrtSession.SessionOptions options) {
    RewriteOptions rewrite = RewriteOptions.defaults().withForm(TieForm.GEMM);
    try (Model read = OnnxTie.read(model)) {
      RewrittenModel rewritten = OnnxTie.rewrite(read, rewrite);
      try (Model tied = rewritten.model()) {
        if (rewritten.result().changes() == 0) {
          return new TiedSession(create(env, model, options), rewritten.result());
        }
        Path folder = stagingFolder();
        try {
          Path staged = folder.resolve(model.getFileName().toString());
          OnnxTie.write(tied, staged, OutputLayout.defaults());
          return new TiedSession(create(env, staged, options), rewritten.result());
        } finally {
          FileOps.deleteTree(folder);
        }
      }
    }
  }

  /** The session of the tied model: the caller's to run; closed by {@link #close()}. */
  public OrtSession session() {
    return session;
  }

  /** What was tied (empty when the model had no duplicate), and the bytes it saved. */
  public TieResult ties() {
    return ties;
  }

  /** Closes the session. */
  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new OnnxTieException(OnnxTieException.INTERNAL, "closing the session: " + e, e);
    }
  }

  private static OrtSession create(
      OrtEnvironment env, Path file, OrtSession.SessionOptions options) {
    try {
      return env.createSession(file.toString(), options);
    } catch (OrtException e) {
      throw OnnxTieException.badInput(
          "ONNX Runtime cannot create a session of the tied model: " + e.getMessage(), e);
    }
  }

  private static Path stagingFolder() {
    try {
      return Files.createTempDirectory("onnx-tie-session-");
    } catch (IOException e) {
      throw OnnxTieException.badInput(
          "cannot stage the tied model under " + System.getProperty("java.io.tmpdir") + ": " + e,
          e);
    }
  }
}
