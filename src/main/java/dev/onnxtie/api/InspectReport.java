package dev.onnxtie.api;

import java.util.List;
import java.util.Map;

/**
 * What {@code inspect} shows of a model.
 *
 * @param path the file
 * @param irVersion IR version
 * @param opsets imported operator sets, domain to version ({@code ai.onnx} for the default)
 * @param producer producer name and version
 * @param inputs graph inputs (initializer-backed inputs of old IR versions left out)
 * @param outputs graph outputs
 * @param nodesByOp node counts by op type, subgraphs included
 * @param subgraphs number of subgraphs
 * @param initializersByType count and bytes per dtype
 * @param externalFiles external data files with their sizes
 * @param duplicates groups of identical, permuted or reshaped duplicates
 * @param wastedBytes bytes on disk a rewrite would save, measured after layout (0 when a rewrite
 *     would not make the file smaller)
 * @param denseLayers layers {@code insert} can tie a decoder to
 * @param transposedTies weights already tied through a Transpose that ONNX Runtime materializes
 * @param constantsByType count and bytes per dtype of the weights held in Constant nodes
 * @param kept duplicates a rewrite leaves in place, with the reason (not counted in {@code
 *     wastedBytes})
 * @param bytesBefore bytes of the model file and its data files (null for a model read from a
 *     stream)
 * @param bytesAfter bytes a rewrite beside it would write (equal to {@code bytesBefore} when it
 *     saves nothing; null for a model read from a stream)
 */
public record InspectReport(
    String path,
    long minBytes,
    long irVersion,
    Map<String, Long> opsets,
    String producer,
    List<Value> inputs,
    List<Value> outputs,
    Map<String, Integer> nodesByOp,
    int subgraphs,
    Map<String, TypeTotal> initializersByType,
    Map<String, Long> externalFiles,
    List<DuplicateGroup> duplicates,
    long wastedBytes,
    List<DenseLayerInfo> denseLayers,
    List<TransposedTie> transposedTies,
    Map<String, TypeTotal> constantsByType,
    List<KeptDuplicate> kept,
    Long bytesBefore,
    Long bytesAfter) {

  /**
   * A graph input or output: name, dtype and dims (a number, a symbol's name, or null when
   * unknown); dims null when the rank is unknown.
   */
  public record Value(String name, String dtype, List<Object> dims) {}

  /** Count and bytes of the initializers of one dtype. */
  public record TypeTotal(int count, long bytes) {}

  /** A kept tensor and its duplicates. */
  public record DuplicateGroup(
      String kept,
      String dtype,
      List<Long> shape,
      String scope,
      List<Member> members,
      long wastedBytes) {}

  /** A duplicate: its name, how it is made from the kept tensor, its shape, scope and bytes. */
  public record Member(
      String name, TieRelation relation, List<Long> shape, String scope, long bytes) {}

  /**
   * A weight tied through a Transpose node read by MatMul and also read by something else (listed
   * only then): ONNX Runtime folds the Transpose into a second copy of the weight and keeps the
   * weight for its other readers; {@code rewrite --form gemm} removes the copy. A weight read by
   * the Transpose alone is not listed: ONNX Runtime frees it once folded, so it is held once.
   *
   * @param weight the initializer
   * @param dtype its element type
   * @param shape its dims
   * @param transpose the Transpose node
   * @param matmuls MatMul readers the Gemm form takes over
   * @param bytes the bytes of the copy ONNX Runtime makes
   * @param otherReaders what else reads the weight ("Gather node_embed", "graph output"), keeping
   *     it alive beside the transposed copy
   */
  public record TransposedTie(
      String weight,
      String dtype,
      List<Long> shape,
      String transpose,
      int matmuls,
      long bytes,
      List<String> otherReaders) {}

  /** A dense layer: node name, op type, weight name, input and output widths, activation. */
  public record DenseLayerInfo(
      String node,
      String op,
      String weight,
      long inputWidth,
      long outputWidth,
      String activation) {}
}
