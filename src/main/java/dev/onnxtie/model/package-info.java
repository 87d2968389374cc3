/**
 * The model as a file: everything that reads, checks, holds and writes ONNX models, and the only
 * package besides {@code graph} that sees protobuf's types.
 *
 * <ul>
 *   <li>Reading and writing: {@link dev.onnxtie.model.ModelIO} (memory-mapped reads whose large
 *       fields alias the file; writes to a temporary file renamed into place), the layouts of
 *       {@link dev.onnxtie.model.WriteOptions}, {@code DataFile} for external data written, and
 *       {@link dev.onnxtie.model.Staging} with {@link dev.onnxtie.model.FolderLock} for outputs
 *       committed together.
 *   <li>The read model: {@link dev.onnxtie.model.OnnxModel} (immutable; edits go through {@code
 *       graph.GraphEditor}), the external data it resolves ({@link dev.onnxtie.model.ExternalData},
 *       refusing locations outside the model's folder) and {@link dev.onnxtie.model.ProtoGraphs} to
 *       walk every graph of it.
 *   <li>Checks: {@link dev.onnxtie.model.ModelValidator} on every model read (its graph, attribute
 *       and tensor rules in classes of their own) and {@link dev.onnxtie.model.OutputValidator} on
 *       every model about to be written, so that bad input fails with one line and no edit writes a
 *       model its input would not pass.
 *   <li>Tensor bytes: {@link dev.onnxtie.model.DataType} (every element type and its size), {@link
 *       dev.onnxtie.model.Tensors} (counts, sizes and views, overflow-checked) and {@link
 *       dev.onnxtie.model.TensorBytes} (bytes of any size, usually mapped).
 * </ul>
 *
 * <p>It owns no policy about ties: what is tied is {@code tie}'s, how the graph is rewired is
 * {@code pass}'s.
 */
package dev.onnxtie.model;
