package dev.onnxtie.api;

import java.util.List;

/**
 * What a rewrite of a folder did.
 *
 * @param input the folder read
 * @param output the folder written (null for a dry run)
 * @param dryRun true when nothing was written
 * @param models one report per model, in name order
 * @param sharedData the shared external data file, or null
 * @param bytesBefore total bytes of the input models and their data files
 * @param bytesAfter total bytes written (null for a dry run)
 * @param copied the folder's other files, copied byte for byte (paths relative to the folder)
 * @param notes what was not copied, and why
 */
public record FolderRewriteReport(
    String input,
    String output,
    boolean dryRun,
    List<RewriteReport> models,
    String sharedData,
    long bytesBefore,
    Long bytesAfter,
    List<String> copied,
    List<String> notes) {}
