package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code onnx-tie completion bash|zsh}: prints a shell completion script (picocli's generator). */
final class CompletionCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command("completion", this, "Print a completion script for bash or zsh.");

  private final PositionalParamSpec shell =
      Specs.positional(
          spec,
          PositionalParamSpec.builder()
              .paramLabel("bash|zsh")
              .type(String.class)
              .completionCandidates(List.of("bash", "zsh"))
              .description("the shell"));

  CompletionCommand() {
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie completion bash > /etc/bash_completion.d/onnx-tie",
        "  source <(onnx-tie completion zsh)   # zsh, through bashcompinit");
  }

  @Override
  public Integer call() {
    String shell = this.shell.getValue();
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      throw OnnxTieException.badInput("unknown shell '" + shell + "'; valid: bash, zsh");
    }
    String script = AutoComplete.bash("onnx-tie", spec.root().commandLine());
    if (shell.equals("zsh")) {
      script =
          "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
              + script;
    }
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
