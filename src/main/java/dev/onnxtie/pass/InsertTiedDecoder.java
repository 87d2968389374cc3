package dev.onnxtie.pass;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.graph.Attribute;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.graph.TensorType;
import dev.onnxtie.model.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Adds a decoder layer tied to an encoder's weight: {@code act(x · Wᵀ + b)}, where W is read
 * through a {@code Transpose} of the encoder's own initializer (for a {@code Gemm} encoder, through
 * the flipped {@code transB} instead), so the weights are stored once.
 *
 * <pre>
 * Before:  x ── MatMul(W) ── Add(b) ── Relu ──> h
 * After:   x ── MatMul(W) ── Add(b) ── Relu ──> h ── MatMul(Transpose(W)) ── Add(b_dec) ── Relu ──> h_decoded
 * </pre>
 *
 * <p>With {@code mirror}, the whole chain of dense layers that starts at a graph input gets its
 * mirrored decoder stack (last layer first), each decoder tied to its encoder with its encoder's
 * activation. Only the main graph is searched for dense layers; subgraphs are left as they are.
 */
public final class InsertTiedDecoder implements Pass {
  private final InsertOptions options;
  private final Map<String, String> transposes = new HashMap<>();

  /** A pass with these options. */
  public InsertTiedDecoder(InsertOptions options) {
    this.options = options;
  }

  @Override
  public String name() {
    return "insert-tied-decoder";
  }

  @Override
  public boolean idempotent() {
    return false; // each run adds another decoder
  }

  /** The decoder to insert is given: a pass found by name without one cannot run. */
  @Override
  public void requires(GraphEditor editor) {
    if (options == null) {
      throw new IllegalStateException(
          "insert-tied-decoder needs the decoder to insert (InsertOptions)");
    }
  }

  @Override
  public PassResult apply(GraphEditor editor) {
    Scope scope = editor.main();
    List<DenseLayer> layers = DenseLayer.find(scope);
    List<String> notes = new ArrayList<>();
    if (options.output() != null && editor.isNameTaken(options.output())) {
      throw OnnxTieException.badInput(
          "a tensor named '" + options.output() + "' already exists; choose another --output");
    }
    String output;
    if (options.mirror()) {
      List<DenseLayer> chain = chain(scope, layers);
      String x = chain.get(chain.size() - 1).output();
      List<DenseLayer> reversed = new ArrayList<>(chain);
      Collections.reverse(reversed);
      for (DenseLayer layer : reversed) {
        x = decoder(scope, layer, x, layer.activation(), "zeros", layer.name() + "_decoder");
        notes.add(
            "decoder of "
                + layer.name()
                + ": "
                + layer.outputWidth()
                + " -> "
                + layer.inputWidth()
                + ", "
                + layer.activation());
      }
      output = options.output() != null ? options.output() : editor.uniqueName("reconstruction");
      scope.addNode(scope.nodes().size(), "Identity", output + "_out", List.of(x), List.of(output));
      addOutput(scope, chain.get(0), x, output);
    } else {
      DenseLayer layer = byName(layers, options.encoder(), scope);
      String x = options.input() != null ? options.input() : layer.output();
      checkInput(scope, layer, x);
      String activation =
          switch (options.activation().toLowerCase(Locale.ROOT)) {
            case "same" -> layer.activation();
            case "none", "relu", "sigmoid", "tanh" -> options.activation().toLowerCase(Locale.ROOT);
            default ->
                throw OnnxTieException.badInput(
                    "unknown --activation '"
                        + options.activation()
                        + "'; valid: none, relu, sigmoid, tanh, same");
          };
      String decoded =
          decoder(scope, layer, x, activation, options.bias(), layer.name() + "_decoder");
      output =
          options.output() != null
              ? options.output()
              : editor.uniqueName(layer.name() + "_decoded");
      scope.addNode(
          scope.nodes().size(), "Identity", output + "_out", List.of(decoded), List.of(output));
      addOutput(scope, layer, x, output);
      notes.add(
          "decoder of "
              + layer.name()
              + ": "
              + layer.outputWidth()
              + " -> "
              + layer.inputWidth()
              + ", "
              + activation);
    }
    notes.add("new output " + output);
    if (editor.scopes().size() > 1) {
      notes.add(
          "searched the main graph only for dense layers; "
              + (editor.scopes().size() - 1)
              + " subgraphs left as they are");
    }
    return new PassResult(name(), 1, List.of(), notes);
  }

  private static DenseLayer byName(List<DenseLayer> layers, String name, Scope scope) {
    String known =
        layers.isEmpty()
            ? "none"
            : layers.stream().map(DenseLayer::name).collect(Collectors.joining(", "));
    if (name == null) {
      throw OnnxTieException.badInput("--encoder is required; dense layers: " + known);
    }
    for (DenseLayer layer : layers) {
      if (layer.name().equals(name)) {
        return layer;
      }
    }
    Optional<Node> node = scope.nodes().stream().filter(n -> n.name().equals(name)).findFirst();
    if (node.isPresent()) {
      throw OnnxTieException.badInput(
          "node '"
              + name
              + "' ("
              + node.get().opType()
              + ") is not a dense layer (MatMul or Gemm with an initializer weight); dense layers: "
              + known);
    }
    throw OnnxTieException.badInput("no node named '" + name + "'; dense layers: " + known);
  }

  /** The chain of dense layers that starts at a graph input (and contains --encoder when given). */
  private List<DenseLayer> chain(Scope scope, List<DenseLayer> layers) {
    List<List<DenseLayer>> chains = new ArrayList<>();
    for (DenseLayer start : layers) {
      if (!scope.isGraphInput(start.input())) {
        continue;
      }
      List<DenseLayer> chain = new ArrayList<>(List.of(start));
      for (boolean grown = true; grown; ) {
        grown = false;
        for (DenseLayer next : layers) {
          if (next.input().equals(chain.get(chain.size() - 1).output()) && !chain.contains(next)) {
            chain.add(next);
            grown = true;
            break;
          }
        }
      }
      chains.add(chain);
    }
    if (options.encoder() != null) {
      DenseLayer named = byName(layers, options.encoder(), scope);
      return chains.stream()
          .filter(c -> c.contains(named))
          .findFirst()
          .orElseThrow(
              () ->
                  OnnxTieException.badInput(
                      "dense layer '"
                          + options.encoder()
                          + "' is not on a chain of dense layers that starts at a graph input"));
    }
    return chains.stream()
        .max((a, b) -> Integer.compare(a.size(), b.size()))
        .orElseThrow(
            () ->
                OnnxTieException.badInput(
                    "--mirror needs a chain of dense layers starting at a graph input; dense layers: "
                        + (layers.isEmpty()
                            ? "none"
                            : layers.stream()
                                .map(DenseLayer::name)
                                .collect(Collectors.joining(", ")))));
  }

  private static void checkInput(Scope scope, DenseLayer layer, String x) {
    if (!scope.editor().isNameTaken(x)) {
      throw OnnxTieException.badInput("--input '" + x + "' is no tensor of the model");
    }
    Optional<TensorType> type = scope.typeOf(x);
    if (type.isPresent() && type.get().rank() > 0) {
      Object last = type.get().dims().get(type.get().rank() - 1);
      if (last instanceof Long width && width != layer.outputWidth()) {
        throw OnnxTieException.badInput(
            "--input '"
                + x
                + "' has width "
                + width
                + " but the decoder of "
                + layer.name()
                + " reads width "
                + layer.outputWidth()
                + " (the encoder's output width)");
      }
    }
  }

  /** Adds one decoder reading {@code x}; returns its output tensor. */
  private String decoder(
      Scope scope, DenseLayer layer, String x, String activation, String biasChoice, String base) {
    GraphEditor editor = scope.editor();
    TensorSource weight = layer.weight();
    String bias = bias(scope, layer, biasChoice, base);
    int at = scope.nodes().size();
    String pre = editor.uniqueName(base + "_linear");
    Optional<TensorType> xType = scope.typeOf(x);
    boolean gemm = layer.node().is("Gemm") && xType.isPresent() && xType.get().rank() == 2;
    if (gemm) {
      List<String> inputs =
          bias == null ? List.of(x, weight.name()) : List.of(x, weight.name(), bias);
      scope.addNode(
          at++,
          "Gemm",
          base + "_gemm",
          inputs,
          List.of(pre),
          Attribute.ofInt("transB", layer.transposedWeight() ? 0 : 1));
    } else {
      // a Gemm weight stored [out, in] (transB=1) is already Wᵀ; otherwise read it through one
      // Transpose
      String matmulWeight =
          layer.transposedWeight() ? weight.name() : transposes.get(weight.name());
      if (matmulWeight == null) {
        matmulWeight = editor.uniqueName(weight.name() + "_transposed");
        scope.addNode(
            0,
            "Transpose",
            "Transpose_" + matmulWeight,
            List.of(weight.name()),
            List.of(matmulWeight),
            Attribute.ofInts("perm", List.of(1L, 0L)));
        long[] dims = weight.dims();
        scope.declare(matmulWeight, weight.type().code(), List.of(dims[1], dims[0]));
        transposes.put(weight.name(), matmulWeight);
        at++;
      }
      String product = bias == null ? pre : editor.uniqueName(base + "_matmul");
      scope.addNode(at++, "MatMul", base + "_matmul", List.of(x, matmulWeight), List.of(product));
      if (bias != null) {
        scope.addNode(at++, "Add", base + "_bias_add", List.of(product, bias), List.of(pre));
      }
    }
    if (activation.equals("none")) {
      declareOutput(scope, layer, x, pre);
      return pre;
    }
    String out = editor.uniqueName(base + "_" + activation);
    String op =
        switch (activation) {
          case "relu" -> "Relu";
          case "sigmoid" -> "Sigmoid";
          case "tanh" -> "Tanh";
          default -> throw new IllegalStateException(activation);
        };
    scope.addNode(at, op, base + "_" + activation, List.of(pre), List.of(out));
    declareOutput(scope, layer, x, out);
    return out;
  }

  /** The bias tensor of a decoder (an existing or a new initializer), or null for none. */
  private static String bias(Scope scope, DenseLayer layer, String choice, String base) {
    long width = layer.inputWidth();
    TensorSource weight = layer.weight();
    switch (choice) {
      case "none":
        return null;
      case "zeros":
        {
          String name = scope.editor().uniqueName(base + "_bias");
          scope.addInitializer(
              name,
              weight.type(),
              new long[] {width},
              new byte[Math.toIntExact(weight.type().byteSize(width))]);
          return name;
        }
      case "encoder":
        if (layer.bias() == null) {
          throw OnnxTieException.badInput("--bias encoder: layer " + layer.name() + " has no bias");
        }
        if (layer.inputWidth() != layer.outputWidth()) {
          throw OnnxTieException.badInput(
              "--bias encoder: the encoder's bias has width "
                  + layer.outputWidth()
                  + " but the decoder's output has width "
                  + width
                  + "; use --bias zeros or an initializer of width "
                  + width);
        }
        return layer.bias();
      default:
        {
          Optional<TensorSource> given = scope.initializer(choice);
          if (given.isEmpty()) {
            throw OnnxTieException.badInput(
                "--bias '"
                    + choice
                    + "' is no initializer; use zeros, none, encoder or an initializer's name");
          }
          long[] dims = given.get().dims();
          boolean fits = dims.length == 1 && dims[0] == width;
          if (!fits || given.get().type() != weight.type()) {
            throw OnnxTieException.badInput(
                "--bias '"
                    + choice
                    + "' is "
                    + given.get().type().onnxName()
                    + Tensors.shapeText(dims)
                    + " but the decoder needs "
                    + weight.type().onnxName()
                    + "["
                    + width
                    + "]");
          }
          return choice;
        }
    }
  }

  private static void declareOutput(Scope scope, DenseLayer layer, String x, String tensor) {
    scope.declare(tensor, layer.weight().type().code(), dimsLike(scope, x, layer.inputWidth()));
  }

  private static List<Object> dimsLike(Scope scope, String x, long width) {
    Optional<TensorType> type = scope.typeOf(x);
    if (type.isEmpty() || type.get().dims() == null || type.get().rank() == 0) {
      return null;
    }
    List<Object> dims = new ArrayList<>(type.get().dims().subList(0, type.get().rank() - 1));
    dims.add(width);
    return dims;
  }

  private static void addOutput(Scope scope, DenseLayer first, String x, String output) {
    scope.addOutput(output, first.weight().type().code(), dimsLike(scope, x, first.inputWidth()));
  }
}
