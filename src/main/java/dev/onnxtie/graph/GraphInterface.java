package dev.onnxtie.graph;

import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an edit must leave as it found it, taken from every graph of an editor: the graph inputs
 * (name, type and order), the graph outputs (the same; outputs may be added after them), and the
 * initializers that are also graph inputs from IR 4 on (defaults a caller may override), which stay
 * initializers and are never marked for removal. Under IR 3 every initializer is listed among the
 * inputs, so inputs that are initializers are left out there: tying one removes both.
 *
 * <p>The pass pipeline takes one before each pass and compares it with the graph after; a
 * difference is a bug in the pass.
 */
public final class GraphInterface {
  private final Map<String, Graph> graphs;

  /** One graph's interface, by path. */
  private record Graph(
      List<ValueInfoProto> inputs, List<ValueInfoProto> outputs, Set<String> overridable) {}

  private GraphInterface(Map<String, Graph> graphs) {
    this.graphs = graphs;
  }

  /** The interface of every graph of the editor as it is now. */
  public static GraphInterface of(GraphEditor editor) {
    boolean allInitializersAreInputs = editor.irVersion() < 4;
    Map<String, Graph> graphs = new LinkedHashMap<>();
    for (Scope scope : editor.scopes()) {
      List<ValueInfoProto> inputs = new ArrayList<>();
      Set<String> overridable = new TreeSet<>();
      for (ValueInfoProto input : scope.graph.getInputList()) {
        if (!scope.initializers.containsKey(input.getName())) {
          inputs.add(input);
        } else if (!allInitializersAreInputs) {
          inputs.add(input);
          overridable.add(input.getName());
        }
      }
      graphs.put(
          scope.path(),
          new Graph(List.copyOf(inputs), List.copyOf(scope.graph.getOutputList()), overridable));
    }
    return new GraphInterface(graphs);
  }

  /**
   * How the editor's graphs now differ from this interface, one line each (empty when they do not):
   * a graph gone, an input or output dropped, renamed, retyped or moved, an input added, an
   * overridable initializer removed or marked for removal.
   */
  public List<String> changesIn(GraphEditor editor) {
    List<String> changes = new ArrayList<>();
    Map<String, Scope> scopes = new LinkedHashMap<>();
    for (Scope scope : editor.scopes()) {
      scopes.put(scope.path(), scope);
    }
    GraphInterface now = of(editor);
    for (Map.Entry<String, Graph> entry : graphs.entrySet()) {
      String path = entry.getKey();
      Graph before = entry.getValue();
      Graph after = now.graphs.get(path);
      if (after == null) {
        changes.add("graph '" + path + "' is gone");
        continue;
      }
      if (!before.inputs().equals(after.inputs())) {
        changes.add(
            "graph '"
                + path
                + "': inputs "
                + names(before.inputs())
                + " became "
                + names(after.inputs())
                + (names(before.inputs()).equals(names(after.inputs())) ? " (types changed)" : ""));
      }
      List<ValueInfoProto> kept =
          after.outputs().subList(0, Math.min(before.outputs().size(), after.outputs().size()));
      if (!before.outputs().equals(kept)) {
        changes.add(
            "graph '"
                + path
                + "': outputs "
                + names(before.outputs())
                + " became "
                + names(after.outputs())
                + (names(before.outputs()).equals(names(kept)) ? " (types changed)" : ""));
      }
      Scope scope = scopes.get(path);
      for (String name : before.overridable()) {
        if (!scope.initializers.containsKey(name) || scope.removable.contains(name)) {
          changes.add(
              "graph '"
                  + path
                  + "': initializer '"
                  + name
                  + "' is a graph input (a default callers may override) and must stay");
        }
      }
    }
    return changes;
  }

  private static List<String> names(List<ValueInfoProto> values) {
    return values.stream().map(ValueInfoProto::getName).toList();
  }
}
