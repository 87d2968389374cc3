package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model written in full to a staging folder beside its target ({@link ModelIO#stage}), not yet in
 * place: {@link #path()} can be loaded and checked (a verification), {@link #commit()} renames it
 * into place, and {@link #close()} discards whatever was not committed. Nothing calls back: the
 * caller decides between commit and close.
 */
public final class StagedWrite implements AutoCloseable {
  private final OnnxModel model;
  private final Path out;
  private final Path target;
  private final Staging staging;
  private final Path stagedModel;
  private final Path stagedData;
  private final String dataName;
  private final Set<String> superseded;
  private final Staging.KeepName keep;
  private boolean committed;

  StagedWrite(
      OnnxModel model,
      Path out,
      Path target,
      Staging staging,
      Path stagedModel,
      Path stagedData,
      String dataName,
      Set<String> superseded,
      Staging.KeepName keep) {
    this.model = model;
    this.out = out;
    this.target = target;
    this.staging = staging;
    this.stagedModel = stagedModel;
    this.stagedData = stagedData;
    this.dataName = dataName;
    this.superseded = superseded;
    this.keep = keep;
  }

  /** A target that is no regular file (a device such as /dev/null): written on commit, unstaged. */
  static StagedWrite unstaged(OnnxModel model, Path out, Path target) {
    return new StagedWrite(model, out, target, null, null, null, null, Set.of(), null);
  }

  /**
   * The complete staged model file, under its final name (its data file beside it); null where the
   * target is no regular file and nothing is staged.
   */
  public Path path() {
    return stagedModel;
  }

  /**
   * Renames the staged files into place, data file first.
   *
   * @return the files written (the model first, then its data file if any)
   * @throws OnnxTieException (bad input) when the rename fails; nothing is then in place
   */
  public List<Path> commit() {
    if (committed) {
      throw new IllegalStateException("committed already");
    }
    committed = true;
    if (staging == null) {
      try (OutputStream stream = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
        ModelIO.write(model, stream);
      } catch (IOException e) {
        throw OnnxTieException.badInput("cannot write " + out + ": " + ModelIO.describe(e), e);
      }
      return List.of(target);
    }
    try {
      String installed =
          staging.commit(
              stagedData == null ? List.of() : List.of(stagedData),
              List.of(stagedModel),
              superseded,
              Map.of(target.getFileName().toString(), stagedData == null ? "" : dataName),
              keep);
      List<Path> files = new ArrayList<>();
      files.add(target);
      if (installed != null) {
        files.add(target.getParent().resolve(installed));
      }
      return files;
    } catch (IOException e) {
      // a write from a mapping that lost its pages fails with EFAULT
      model.externalData().checkUnchanged();
      throw OnnxTieException.badInput("cannot write " + out + ": " + ModelIO.describe(e), e);
    } catch (InternalError e) {
      throw ModelWriter.vanished(model, e);
    }
  }

  /** Removes the staging folder and whatever it still holds (all of it, unless committed). */
  @Override
  public void close() {
    if (staging != null) {
      staging.close();
    }
  }
}
