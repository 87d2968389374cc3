package dev.onnxtie.report;

import dev.onnxtie.report.Neighbourhood.Edge;
import dev.onnxtie.report.Neighbourhood.Graph;
import dev.onnxtie.report.Neighbourhood.Kind;
import dev.onnxtie.report.Neighbourhood.Vertex;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.elk.alg.layered.LayeredLayoutProvider;
import org.eclipse.elk.alg.layered.options.LayeredMetaDataProvider;
import org.eclipse.elk.alg.layered.options.LayeredOptions;
import org.eclipse.elk.core.data.LayoutMetaDataService;
import org.eclipse.elk.core.math.ElkPadding;
import org.eclipse.elk.core.options.Direction;
import org.eclipse.elk.core.options.EdgeRouting;
import org.eclipse.elk.core.util.BasicProgressMonitor;
import org.eclipse.elk.graph.ElkBendPoint;
import org.eclipse.elk.graph.ElkEdge;
import org.eclipse.elk.graph.ElkEdgeSection;
import org.eclipse.elk.graph.ElkNode;
import org.eclipse.elk.graph.util.ElkGraphUtil;

/**
 * A {@link Neighbourhood} as inline SVG, laid out top to bottom by the Eclipse Layout Kernel's
 * layered algorithm (layers, crossing minimization, orthogonal edge routing); nothing here places a
 * vertex by hand. Text is HTML-escaped; long names are cut with an ellipsis and shown whole in the
 * vertex's tooltip and {@code data-label}.
 */
final class GraphDrawing {
  /** Width of one character of the report's 12 px monospace font, in pixels (0.6 em). */
  private static final double CHAR_WIDTH = 7.3;

  private static final int MAX_CHARS = 30;
  private static final double LINE_HEIGHT = 15;

  static {
    // ELK outside Eclipse: its option types' copy functions and the layered algorithm's options are
    // registered by hand (no plug-in registry, and the shaded jar keeps one services file of
    // several)
    LayoutMetaDataService.initElkReflect();
    LayoutMetaDataService.getInstance()
        .registerLayoutMetaDataProviders(new LayeredMetaDataProvider());
  }

  private GraphDrawing() {}

  /** The SVG element of a graph; {@code caption} names it for screen readers. */
  static String svg(Graph graph, String caption) {
    ElkNode root = ElkGraphUtil.createGraph();
    root.setProperty(LayeredOptions.DIRECTION, Direction.DOWN);
    root.setProperty(LayeredOptions.EDGE_ROUTING, EdgeRouting.ORTHOGONAL);
    root.setProperty(LayeredOptions.SPACING_NODE_NODE, 18.0);
    root.setProperty(LayeredOptions.SPACING_NODE_NODE_BETWEEN_LAYERS, 28.0);
    root.setProperty(LayeredOptions.PADDING, new ElkPadding(8));
    root.setProperty(LayeredOptions.RANDOM_SEED, 1);
    Map<String, ElkNode> nodes = new HashMap<>();
    for (Vertex vertex : graph.vertices()) {
      ElkNode node = ElkGraphUtil.createNode(root);
      node.setIdentifier(vertex.id());
      int chars = Math.max(cut(vertex.label()).length(), cut(vertex.detail()).length());
      node.setDimensions(
          Math.max(56, chars * CHAR_WIDTH + 16), vertex.detail().isEmpty() ? 26 : 26 + LINE_HEIGHT);
      nodes.put(vertex.id(), node);
    }
    for (Edge edge : graph.edges()) {
      ElkGraphUtil.createSimpleEdge(nodes.get(edge.from()), nodes.get(edge.to()));
    }
    new LayeredLayoutProvider().layout(root, new BasicProgressMonitor());

    StringBuilder svg = new StringBuilder();
    double width = Math.ceil(root.getWidth());
    double height = Math.ceil(root.getHeight());
    svg.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" role=\"img\" aria-label=\"")
        .append(Html.escape(caption))
        .append("\" viewBox=\"0 0 ")
        .append(number(width))
        .append(' ')
        .append(number(height))
        .append("\" width=\"")
        .append(number(width))
        .append("\" height=\"")
        .append(number(height))
        .append("\">");
    for (ElkEdge edge : root.getContainedEdges()) {
      for (ElkEdgeSection section : edge.getSections()) {
        svg.append("<path class=\"edge\" marker-end=\"url(#arrow)\" d=\"M")
            .append(number(section.getStartX()))
            .append(' ')
            .append(number(section.getStartY()));
        for (ElkBendPoint bend : section.getBendPoints()) {
          svg.append(" L").append(number(bend.getX())).append(' ').append(number(bend.getY()));
        }
        svg.append(" L")
            .append(number(section.getEndX()))
            .append(' ')
            .append(number(section.getEndY()))
            .append("\"/>");
      }
    }
    for (Vertex vertex : graph.vertices()) {
      ElkNode node = nodes.get(vertex.id());
      String classes =
          "vertex "
              + vertex.kind().name().toLowerCase(Locale.ROOT)
              + (vertex.role().isEmpty() ? "" : " " + vertex.role());
      svg.append("<g class=\"")
          .append(classes)
          .append("\" data-label=\"")
          .append(Html.escape(vertex.label()))
          .append("\" data-detail=\"")
          .append(Html.escape(vertex.detail()))
          .append("\" transform=\"translate(")
          .append(number(node.getX()))
          .append(' ')
          .append(number(node.getY()))
          .append(")\">");
      svg.append("<title>")
          .append(
              Html.escape(
                  vertex.detail().isEmpty()
                      ? vertex.label()
                      : vertex.label() + "\n" + vertex.detail()))
          .append("</title>");
      double rx = vertex.kind() == Kind.TENSOR ? 13 : 4;
      svg.append("<rect width=\"")
          .append(number(node.getWidth()))
          .append("\" height=\"")
          .append(number(node.getHeight()))
          .append("\" rx=\"")
          .append(number(rx))
          .append("\"/>");
      double middle = node.getWidth() / 2;
      svg.append("<text x=\"")
          .append(number(middle))
          .append("\" y=\"17\" class=\"label\">")
          .append(Html.escape(cut(vertex.label())))
          .append("</text>");
      if (!vertex.detail().isEmpty()) {
        svg.append("<text x=\"")
            .append(number(middle))
            .append("\" y=\"")
            .append(number(17 + LINE_HEIGHT))
            .append("\" class=\"detail\">")
            .append(Html.escape(cut(vertex.detail())))
            .append("</text>");
      }
      svg.append("</g>");
    }
    return svg.append("</svg>").toString();
  }

  /**
   * The text as drawn: at most {@link #MAX_CHARS} characters, the middle cut out for an ellipsis.
   */
  static String cut(String text) {
    if (text.codePointCount(0, text.length()) <= MAX_CHARS) {
      return text;
    }
    int[] points = text.codePoints().toArray();
    int head = (MAX_CHARS - 1) / 2;
    int tail = MAX_CHARS - 1 - head;
    return new String(points, 0, head) + "\u2026" + new String(points, points.length - tail, tail);
  }

  private static String number(double value) {
    long rounded = Math.round(value * 10);
    return rounded % 10 == 0 ? Long.toString(rounded / 10) : Double.toString(rounded / 10.0);
  }
}
