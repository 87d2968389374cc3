package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code onnx-tie completion bash|zsh}: prints a shell completion script (picocli's generator). */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = "Print a completion script for bash or zsh.",
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie completion bash > /etc/bash_completion.d/onnx-tie",
        "  source <(onnx-tie completion zsh)   # zsh, through bashcompinit"})
final class CompletionCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "bash|zsh", completionCandidates = SharedOptions.Candidates.Shells.class, description = "the shell")
  String shell;

  @Override
  public Integer call() {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      throw OnnxTieException.badInput("unknown shell '" + shell + "'; valid: bash, zsh");
    }
    String script = AutoComplete.bash("onnx-tie", spec.root().commandLine());
    if (shell.equals("zsh")) {
      script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
    }
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
