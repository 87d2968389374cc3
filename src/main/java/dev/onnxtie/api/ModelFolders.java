package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.tie.CrossFileFinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Several models at once: the {@code .onnx} files of a folder, their inspection with the tensors
 * they share, and the models among them that cannot be read (refused, with the reason).
 */
final class ModelFolders {
  private ModelFolders() {}

  /**
   * Inspects every model of a list and finds the tensors several of them hold. Of several models,
   * one that cannot be read (bad input: too new, truncated, ...) is listed in the report's {@code
   * refused} with its reason and the others are still reported; a single model's failure is thrown.
   */
  static FolderInspectReport inspectAll(
      List<Path> paths, long minBytes, int jobs, Progress progress) {
    List<Path> given = distinct(paths);
    List<RefusedFile> refused = new ArrayList<>();
    List<InspectReport> reports =
        inspectEach(given, jobs, progress, refused, model -> OnnxTie.inspect(model, minBytes));
    List<Path> models = readable(given, refused);
    if (models.size() < 2) {
      return new FolderInspectReport(reports, List.of(), 0, null, null, null, refused);
    }
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(ModelIO.read(model));
      }
      // the plan: each file rewritten on its own against all of them sharing one data file,
      // measured on disk
      RewriteOptions options = RewriteOptions.defaults().withMinBytes(minBytes);
      Plan.Measured own =
          Plan.eachOnItsOwn(
              read, models.stream().map(model -> model.getFileName().toString()).toList(), options);
      List<GraphEditor> editors = read.stream().map(GraphEditor::new).toList();
      List<String> labels = models.stream().map(Path::toString).toList();
      List<CrossFileFinder.Group> found = CrossFileFinder.find(editors, labels, minBytes);
      List<CrossFileGroup> across = found.stream().map(CrossFileGroup::of).toList();
      Plan.Measured shared =
          Plan.shared(read, labels, options, Plan.SHARED_DATA, editors, found, own);
      long ownSaving = own.saves() ? own.before() - own.after() : 0;
      long sharedSaving = shared.saves() ? shared.before() - shared.after() : 0;
      return new FolderInspectReport(
          reports,
          across,
          Math.max(0, sharedSaving - ownSaving),
          own.before(),
          own.after(),
          shared.after(),
          refused);
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /** One model's inspection, or why it was refused. */
  record Inspected(InspectReport report, RefusedFile refused) {}

  /**
   * The reports of the models that can be read, in order; of several models, each one refused as
   * bad input is added to {@code refused} instead (one model alone throws, as before).
   */
  static List<InspectReport> inspectEach(
      List<Path> models,
      int jobs,
      Progress progress,
      List<RefusedFile> refused,
      Function<Path, InspectReport> inspector) {
    if (models.size() < 2) {
      return Parallel.map(models, jobs, progress, inspector);
    }
    List<Inspected> outcomes =
        Parallel.map(
            models,
            jobs,
            progress,
            model -> {
              try {
                return new Inspected(inspector.apply(model), null);
              } catch (OnnxTieException e) {
                if (e.exitCode() != OnnxTieException.BAD_INPUT) {
                  throw e;
                }
                return new Inspected(null, new RefusedFile(model.toString(), e.getMessage()));
              }
            });
    List<InspectReport> reports = new ArrayList<>();
    for (Inspected outcome : outcomes) {
      if (outcome.refused() != null) {
        refused.add(outcome.refused());
      } else {
        reports.add(outcome.report());
      }
    }
    return reports;
  }

  /** The models not refused. */
  static List<Path> readable(List<Path> models, List<RefusedFile> refused) {
    Set<String> names = refused.stream().map(RefusedFile::path).collect(Collectors.toSet());
    return models.stream().filter(model -> !names.contains(model.toString())).toList();
  }

  /** The paths without repeats of one file (however it is named). */
  static List<Path> distinct(List<Path> paths) {
    Map<Path, Path> byFile = new LinkedHashMap<>();
    for (Path path : paths) {
      Path key;
      try {
        key = path.toRealPath();
      } catch (IOException e) {
        key = path.toAbsolutePath().normalize();
      }
      byFile.putIfAbsent(key, path);
    }
    return List.copyOf(byFile.values());
  }

  /** Tensors that several of the model files each hold (identical or permuted). */
  static List<CrossFileGroup> acrossFiles(List<Path> models, long minBytes) {
    List<OnnxModel> read = new ArrayList<>();
    try {
      for (Path model : models) {
        read.add(ModelIO.read(model));
      }
      return CrossFileFinder.find(
              read.stream().map(GraphEditor::new).toList(),
              models.stream().map(Path::toString).toList(),
              minBytes)
          .stream()
          .map(CrossFileGroup::of)
          .toList();
    } finally {
      read.forEach(OnnxModel::close);
    }
  }

  /**
   * For a folder without models: that sub-folders are not searched, and the first sub-folder (by
   * name) that holds a {@code .onnx} file, to name instead.
   */
  static String subFolderHint(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      List<Path> folders =
          entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
      for (Path folder : folders) {
        try (Stream<Path> files = Files.list(folder)) {
          if (files.anyMatch(
              p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))) {
            return " (sub-folders are not searched: name one that holds models, such as "
                + folder
                + ")";
          }
        } catch (IOException e) {
          // an unreadable sub-folder: not a suggestion
        }
      }
    } catch (IOException e) {
      // no hint
    }
    return " (sub-folders are not searched)";
  }

  /**
   * The {@code .onnx} files of a folder (not its sub-folders), sorted by name; bad input when there
   * are none.
   */
  static List<Path> modelsIn(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw OnnxTieException.badInput("no such folder: " + dir);
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> models =
          files
              .filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))
              .sorted()
              .toList();
      if (models.isEmpty()) {
        throw OnnxTieException.badInput(
            "folder " + dir + " holds no .onnx file" + subFolderHint(dir));
      }
      return models;
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}
