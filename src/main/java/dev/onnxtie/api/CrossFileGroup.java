package dev.onnxtie.api;

import dev.onnxtie.tie.CrossFileFinder;
import java.util.List;

/**
 * A tensor of one file and its copies in other files.
 *
 * @param file the file holding the tensor that counts as the original
 * @param tensor its name
 * @param dtype its element type
 * @param shape its dims
 * @param copies the copies in other files
 * @param wastedBytes bytes the copies waste: those not stored once
 */
public record CrossFileGroup(
    String file,
    String tensor,
    String dtype,
    List<Long> shape,
    List<Copy> copies,
    long wastedBytes) {

  /**
   * A copy in another file.
   *
   * @param file the file
   * @param tensor the copy's name there
   * @param relation how the copy is made from the original
   * @param shape the copy's dims
   * @param bytes its bytes
   * @param storedOnce true when it shares the original's bytes in one external data file
   */
  public record Copy(
      String file,
      String tensor,
      TieRelation relation,
      List<Long> shape,
      long bytes,
      boolean storedOnce) {}

  static CrossFileGroup of(CrossFileFinder.Group group) {
    return new CrossFileGroup(
        group.file(),
        group.tensor(),
        group.dtype(),
        group.shape(),
        group.copies().stream()
            .map(
                c ->
                    new Copy(
                        c.file(),
                        c.tensor(),
                        TieRelations.of(c.relation()),
                        c.shape(),
                        c.bytes(),
                        c.storedOnce()))
            .toList(),
        group.wastedBytes());
  }
}
