package dev.onnxtie.api;

import dev.onnxtie.pass.PassResult;
import dev.onnxtie.verify.VerifyReport;
import java.util.List;

/**
 * What a rewrite of one file did.
 *
 * @param input the model read
 * @param output the model written (null for a dry run)
 * @param result the tie pass's result
 * @param bytesBefore total bytes of the input (model file plus its external data files)
 * @param bytesAfter total bytes written (0 for a dry run)
 * @param written files written
 * @param verification the verification report when {@code --verify} was asked, else null
 */
public record RewriteReport(String input, String output, PassResult result, long bytesBefore, long bytesAfter,
    List<String> written, VerifyReport verification) {}
