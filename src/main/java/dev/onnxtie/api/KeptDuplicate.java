package dev.onnxtie.api;

/**
 * A duplicate the rewrite leaves in place, and why: inspect, check and rewrite list it and never
 * count it as waste.
 *
 * @param file the file holding it
 * @param tensor its name
 * @param copyOf the tensor it duplicates
 * @param copyOfFile the file of that tensor (the same file for a duplicate inside one file)
 * @param relation how it is made from {@code copyOf}
 * @param bytes its bytes
 * @param reason why it stays
 */
public record KeptDuplicate(
    String file,
    String tensor,
    String copyOf,
    String copyOfFile,
    TieRelation relation,
    long bytes,
    String reason) {}
