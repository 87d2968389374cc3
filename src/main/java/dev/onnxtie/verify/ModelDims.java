package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The symbolic dims of models' inputs, and a verification's --dim values per model. */
final class ModelDims {
  private ModelDims() {}

  /**
   * The symbolic dims of a model's fed inputs (those no initializer backs).
   *
   * @throws OnnxTieException (bad input) when the model cannot be read
   */
  public static Set<String> symbolicDims(Path model) {
    try (OnnxModel onnx = ModelIO.read(model)) {
      Set<String> symbols = new TreeSet<>();
      for (InputSpec input : InputSynthesizer.inputsOf(onnx)) {
        if (input.dims() != null) {
          input.dims().stream()
              .filter(String.class::isInstance)
              .forEach(dim -> symbols.add((String) dim));
        }
      }
      return symbols;
    }
  }

  /**
   * For a folder: {@code options} for each of {@code models}, each with only the {@code --dim}
   * values its inputs declare, so that a dim applies to the models that have it.
   *
   * @throws OnnxTieException (bad input) for a dim no model declares
   */
  public static List<VerifyOptions> perModel(VerifyOptions options, List<Path> models) {
    List<VerifyOptions> each = new ArrayList<>();
    Set<String> all = new TreeSet<>();
    for (Path model : models) {
      if (options.dims().isEmpty()) {
        each.add(options);
        continue;
      }
      Set<String> symbols = symbolicDims(model);
      all.addAll(symbols);
      Map<String, Long> dims = new LinkedHashMap<>(options.dims());
      dims.keySet().retainAll(symbols);
      each.add(options.withDims(dims));
    }
    for (String dim : options.dims().keySet()) {
      if (!all.contains(dim)) {
        throw OnnxTieException.badInput(
            "dim '"
                + dim
                + "' is no symbolic dim of the inputs of any of the "
                + models.size()
                + " models; valid: "
                + (all.isEmpty() ? "(none: every input dim is fixed)" : String.join(", ", all)));
      }
    }
    return each;
  }
}
