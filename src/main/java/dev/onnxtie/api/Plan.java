package dev.onnxtie.api;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.tie.CrossFileFinder;
import dev.onnxtie.tie.Relation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one plan behind inspect, check and rewrite: the rewrite done in memory, exactly as {@code
 * rewrite} does it, and measured in bytes on disk after layout (alignment and padding of external
 * data included) without writing anything. What check and inspect count as waste is what this
 * measurement says the rewrite removes; a tie the rewrite declines is kept, and so is everything
 * when the rewrite would make the files bigger.
 */
final class Plan {
  private Plan() {}

  /** The shared data file name {@code rewrite --shared-data} uses by default. */
  static final String SHARED_DATA = "shared.onnx.data";

  /**
   * One way to rewrite the models, measured.
   *
   * @param shared true for one shared data file ({@code --shared-data}), false for each model on
   *     its own
   * @param before bytes of the models and their data files now
   * @param after bytes the rewrite would write
   * @param results what the tie pass would do to each model, same order
   * @param sharedCopies copies across files the shared data file would store once (0 for each on
   *     its own)
   * @param rewritten the rewritten models, same order (in memory; they read the input's bytes)
   */
  record Measured(
      boolean shared,
      long before,
      long after,
      List<TieResult> results,
      int sharedCopies,
      List<OnnxModel> rewritten) {
    /** Ties the rewrite applies, over all models. */
    int ties() {
      return results.stream()
          .mapToInt(result -> (int) result.ties().stream().filter(TieInfo::saves).count())
          .sum();
    }

    /** True when the rewrite removes something and the files get smaller. */
    boolean saves() {
      return (ties() > 0 || sharedCopies > 0) && after < before;
    }
  }

  /**
   * Each model rewritten on its own, as {@code rewrite IN OUT} writes it.
   *
   * @param outNames the output file name of each model (its data file is named after it)
   */
  static Measured eachOnItsOwn(
      List<OnnxModel> models, List<String> outNames, RewriteOptions options) {
    long after = 0;
    List<TieResult> results = new ArrayList<>();
    List<OnnxModel> written = new ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      OnnxTie.Rewritten rewritten = OnnxTie.rewrite(models.get(i), options);
      results.add(rewritten.result());
      written.add(rewritten.model());
      after += ModelIO.measure(rewritten.model(), outNames.get(i), options.writeOptions());
    }
    return new Measured(false, ModelBytes.totalBytes(models), after, results, 0, written);
  }

  /**
   * All models written against one shared data file, as {@code rewrite DIR OUT --shared-data}
   * writes them.
   *
   * @param editors one editor per model, read only
   * @param found the groups {@link CrossFileFinder} found over those editors
   * @param own the models rewritten each on its own: reused where no Constant node changes
   */
  static Measured shared(
      List<OnnxModel> models,
      List<String> labels,
      RewriteOptions options,
      String dataName,
      List<GraphEditor> editors,
      List<CrossFileFinder.Group> found,
      Measured own) {
    List<Set<String>> constants = new ArrayList<>();
    int copies = sharedCopies(editors, labels, found, constants);
    List<OnnxModel> rewritten = new ArrayList<>();
    List<TieResult> results = new ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      if (constants.get(i).isEmpty()) {
        rewritten.add(own.rewritten().get(i));
        results.add(own.results().get(i));
        continue;
      }
      OnnxTie.Rewritten one =
          OnnxTie.rewrite(models.get(i), options, constants.get(i), Progress.NONE);
      rewritten.add(one.model());
      results.add(one.result());
    }
    long after = ModelIO.measureShared(rewritten, dataName, sharedWrite(options, dataName));
    return new Measured(true, ModelBytes.totalBytes(models), after, results, copies, rewritten);
  }

  /**
   * How {@code --shared-data} lays out tensors: every tensor a check would count goes to the shared
   * file.
   */
  static WriteOptions sharedWrite(RewriteOptions options, String dataName) {
    return new WriteOptions(
        WriteOptions.Layout.EXTERNAL,
        dataName,
        Math.min(options.writeOptions().threshold(), options.minBytes()),
        options.writeOptions().alignment());
  }

  /**
   * The Constant nodes of each model that hold a copy of a tensor of another model (identical
   * bytes): a shared rewrite turns them into initializers, so that the shared data file stores them
   * once.
   */
  static List<Set<String>> constantsSharedAcrossFiles(
      List<OnnxModel> models, List<String> labels, long minBytes) {
    List<Set<String>> constants = new ArrayList<>();
    List<GraphEditor> editors = models.stream().map(GraphEditor::new).toList();
    sharedCopies(
        editors,
        labels,
        models.size() < 2 ? List.of() : CrossFileFinder.find(editors, labels, minBytes),
        constants);
    return constants;
  }

  /**
   * Fills {@code constants} (one set per model) and returns the number of identical copies across
   * files that are not stored once yet: those one shared data file stores once.
   */
  private static int sharedCopies(
      List<GraphEditor> editors,
      List<String> labels,
      List<CrossFileFinder.Group> found,
      List<Set<String>> constants) {
    for (int i = 0; i < editors.size(); i++) {
      constants.add(new HashSet<>());
    }
    int copies = 0;
    for (CrossFileFinder.Group group : found) {
      boolean any = false;
      for (CrossFileFinder.Member copy : group.copies()) {
        if (copy.relation() instanceof Relation.Identical && !copy.storedOnce()) {
          copies++;
          any = true;
          int file = labels.indexOf(copy.file());
          if (isConstant(editors.get(file), copy.tensor())) {
            constants.get(file).add(copy.tensor());
          }
        }
      }
      int file = labels.indexOf(group.file());
      if (any && isConstant(editors.get(file), group.tensor())) {
        constants.get(file).add(group.tensor());
      }
    }
    return copies;
  }

  private static boolean isConstant(GraphEditor editor, String name) {
    return editor.scopes().stream()
        .anyMatch(scope -> !scope.hasInitializer(name) && scope.producer(name).isPresent());
  }
}
