/**
 * Graph editing: {@link dev.onnxtie.graph.GraphEditor} owns a mutable copy of a model's structure
 * (tensor bytes stay shared with the read file), one {@link dev.onnxtie.graph.Scope} per graph
 * (main graph and every If/Loop/Scan body). Passes rewire through it; removal of what became unused
 * and topological sorting happen once, in {@link dev.onnxtie.graph.GraphEditor#build()}. Graph
 * inputs and outputs are never renamed, dropped or retyped.
 */
package dev.onnxtie.graph;
