package dev.onnxtie.report;

import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.GraphOutline.NodeOutline;
import dev.onnxtie.api.GraphOutline.TensorOutline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of a graph around a few tensors, bounded so that a model of any size draws quickly: the
 * tensors, the nodes that read them (depth 1), the nodes that read what those write (depth 2), at
 * most {@link #MAX_VERTICES} vertices; readers left out are counted in one "+k more" vertex per
 * node (or tensor) they read from while there is room for it, and in {@link Graph#omitted} always.
 */
final class Neighbourhood {
  /** Vertices drawn per graph at most (tensors, nodes and "+k more" vertices together). */
  static final int MAX_VERTICES = 14;

  /** How deep readers are followed: the tensor's readers, and their readers. */
  static final int DEPTH = 2;

  /** What a vertex stands for. */
  enum Kind {
    /**
     * A constant tensor (initializer or Constant value), or a value the neighbourhood starts from.
     */
    TENSOR,
    /** An operator node. */
    NODE,
    /** Readers left out. */
    MORE
  }

  /**
   * A vertex.
   *
   * @param id unique within its graph
   * @param kind what it stands for
   * @param label first line: a tensor's name, a node's op type, "+k more"
   * @param detail second line: dtype and shape, the node's name, or empty
   * @param role {@code kept}, {@code removed}, {@code added} (a node the rewrite added), or empty
   */
  record Vertex(String id, Kind kind, String label, String detail, String role) {}

  /** An edge from one vertex to another. */
  record Edge(String from, String to) {}

  /** A bounded neighbourhood; {@code omitted} counts the readers left out. */
  record Graph(List<Vertex> vertices, List<Edge> edges, int omitted) {}

  /** One graph's readers and producers by name, built once for all of a model's ties. */
  static final class Index {
    final GraphOutline outline;
    final Map<String, List<NodeOutline>> readers = new HashMap<>();
    final Map<String, TensorOutline> tensors = new HashMap<>();
    final Map<String, NodeOutline> producers = new HashMap<>();
    final Set<String> nodeKeys = new HashSet<>();

    Index(GraphOutline outline) {
      this.outline = outline;
      for (NodeOutline node : outline.nodes()) {
        for (String input : new LinkedHashSet<>(node.inputs())) {
          if (!input.isEmpty()) {
            readers.computeIfAbsent(input, name -> new ArrayList<>()).add(node);
          }
        }
        for (String output : node.outputs()) {
          producers.putIfAbsent(output, node);
        }
        nodeKeys.add(key(node));
      }
      for (TensorOutline tensor : outline.tensors()) {
        tensors.putIfAbsent(tensor.name(), tensor);
      }
    }

    /**
     * True when a node of this graph is the same node (by name, or by op type and outputs when it
     * has none).
     */
    boolean has(NodeOutline node) {
      return nodeKeys.contains(key(node));
    }

    private static String key(NodeOutline node) {
      return node.name().isEmpty()
          ? node.opType() + "\u0000" + String.join("\u0000", node.outputs())
          : "name\u0000" + node.name();
    }
  }

  private Neighbourhood() {}

  /**
   * The neighbourhood of {@code seeds} (tensor names, by role) in {@code graph}; nodes that {@code
   * before} lacks are marked added (null: none is).
   */
  static Graph of(Index graph, Map<String, String> seeds, Index before) {
    Builder builder = new Builder(graph, before);
    List<String> frontier = new ArrayList<>();
    for (Map.Entry<String, String> seed : seeds.entrySet()) {
      String id = builder.tensor(seed.getKey(), seed.getValue());
      if (id != null) {
        frontier.add(id);
      }
    }
    for (int depth = 1; depth <= DEPTH; depth++) {
      List<String> next = new ArrayList<>();
      for (String from : frontier) {
        next.addAll(builder.readersOf(from));
      }
      frontier = next;
    }
    return new Graph(
        List.copyOf(builder.vertices.values()), List.copyOf(builder.edges), builder.omitted);
  }

  /** Adds vertices and edges until the bound. */
  private static final class Builder {
    final Index graph;
    final Index before;
    final Map<String, Vertex> vertices = new LinkedHashMap<>();
    final Set<Edge> edges = new LinkedHashSet<>();

    /**
     * Vertex id by node, and the values each vertex stands for (a tensor: itself; a node: its
     * outputs).
     */
    final Map<NodeOutline, String> nodeIds = new IdentityHashMap<>();

    final Map<String, List<String>> values = new HashMap<>();
    int omitted;

    Builder(Index graph, Index before) {
      this.graph = graph;
      this.before = before;
    }

    String tensor(String name, String role) {
      if (vertices.size() >= MAX_VERTICES) {
        return null;
      }
      TensorOutline tensor = graph.tensors.get(name);
      String detail = tensor == null ? "" : tensor.dtype() + " " + tensor.shape();
      NodeOutline producer = tensor == null ? graph.producers.get(name) : null;
      if (tensor == null && producer == null && !graph.readers.containsKey(name)) {
        return null; // not in this graph (e.g. the removed tensor, after)
      }
      String id = "v" + vertices.size();
      vertices.put(id, new Vertex(id, Kind.TENSOR, name, detail, role));
      values.put(id, List.of(name));
      if (producer != null && vertices.size() < MAX_VERTICES) {
        edges.add(new Edge(node(producer), id));
      }
      return id;
    }

    String node(NodeOutline node) {
      String known = nodeIds.get(node);
      if (known != null) {
        return known;
      }
      String id = "v" + vertices.size();
      boolean added = before != null && !before.has(node);
      vertices.put(id, new Vertex(id, Kind.NODE, node.opType(), node.name(), added ? "added" : ""));
      nodeIds.put(node, id);
      values.put(id, node.outputs());
      return id;
    }

    /** Adds the readers of what vertex {@code from} stands for; returns the new node vertices. */
    List<String> readersOf(String from) {
      List<String> added = new ArrayList<>();
      int left = 0;
      for (String value : values.getOrDefault(from, List.of())) {
        for (NodeOutline reader : graph.readers.getOrDefault(value, List.of())) {
          String known = nodeIds.get(reader);
          if (known != null) {
            edges.add(new Edge(from, known));
          } else if (vertices.size() < MAX_VERTICES - 1) {
            String id = node(reader);
            edges.add(new Edge(from, id));
            added.add(id);
          } else {
            left++;
          }
        }
      }
      omitted += left;
      if (left > 0 && vertices.size() < MAX_VERTICES) {
        String id = "v" + vertices.size();
        vertices.put(id, new Vertex(id, Kind.MORE, "+" + left + " more", "", ""));
        edges.add(new Edge(from, id));
      }
      return added;
    }
  }
}
