package dev.onnxtie.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * picocli's command model built in code, which is how every command here declares its options and
 * parameters: a command holds the {@link OptionSpec}s it adds and reads their values after parsing.
 *
 * <p>Why not picocli's annotations: the JDK reads annotations through proxy classes it generates at
 * run time, one per annotation type, which class-data sharing cannot keep on this JDK, and
 * picocli's model of annotated classes adds reflection on top. Measured on the 1 MB sample's
 * rewrite (5 alternating runs, time from {@code main} to the command's first library call): 120–166
 * ms with annotations, 58–75 ms built in code together with {@link OnnxTieCli#skipUnusedConverters}
 * (about 20 ms of the difference). Help, completion and parsing are picocli's, unchanged; the help
 * texts and the completion script are byte for byte what the annotations gave.
 */
final class Specs {
  private Specs() {}

  /** The exit codes, as every command's help lists them. */
  static final String[] EXIT_CODES = {
    "  0  ok",
    "  1  verification mismatch or check failed",
    "  2  bad input or usage",
    "  3  internal error"
  };

  /** The name picocli gives the {@code -h}/{@code -V} mixin of {@code mixinStandardHelpOptions}. */
  private static final String STANDARD_HELP = "mixinStandardHelpOptions";

  /**
   * A command that runs {@code command} ({@link Runnable} or {@link
   * java.util.concurrent.Callable}). Its constructor ends with {@link #footer}, which adds {@code
   * -h} and {@code -V}.
   */
  static CommandSpec command(String name, Object command, String... description) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(command);
    spec.name(name);
    spec.usageMessage().description(description);
    spec.versionProvider(VersionInfo::lines);
    return spec;
  }

  /**
   * The usage help's footer: the exit codes, then {@code heading} (a picocli format string, {@code
   * %n} dropped) and its lines; and {@code -h, --help} and {@code -V, --version}, after the
   * command's own options as picocli's {@code mixinStandardHelpOptions} adds them (the completion
   * script lists options in that order).
   */
  static void footer(CommandSpec spec, String heading, String... lines) {
    // every command's help lists every exit code, before its own footer
    List<String> footer = new ArrayList<>(List.of(EXIT_CODES));
    footer.add("");
    footer.add(heading.replace("%n", ""));
    footer.addAll(List.of(lines));
    spec.usageMessage().footerHeading("%nExit codes:%n").footer(footer.toArray(new String[0]));
    CommandSpec help = CommandSpec.create();
    help.addOption(
        OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("Show this help message and exit.")
            .build());
    help.addOption(
        OptionSpec.builder("-V", "--version")
            .versionHelp(true)
            .description("Print version information and exit.")
            .build());
    spec.addMixin(STANDARD_HELP, help);
  }

  /** Adds an option without a value, false until given. */
  static OptionSpec flag(CommandSpec spec, String name, String description) {
    return add(
        spec,
        OptionSpec.builder(name).type(boolean.class).initialValue(false).description(description));
  }

  /**
   * An option with one value of {@code type}; {@code initial} is its value until given, shown where
   * the description says {@code ${DEFAULT-VALUE}}.
   */
  static OptionSpec.Builder option(
      String name, String paramLabel, Class<?> type, Object initial, String... description) {
    return OptionSpec.builder(name)
        .paramLabel(paramLabel)
        .type(type)
        .initialValue(initial)
        .description(description);
  }

  /** A repeatable {@code NAME=VALUE} option: a map, in the order given, empty until given. */
  static OptionSpec.Builder map(
      String name, String paramLabel, Class<?> valueType, String description) {
    return OptionSpec.builder(name)
        .paramLabel(paramLabel)
        .type(Map.class)
        .auxiliaryTypes(String.class, valueType)
        .initialValue(new LinkedHashMap<String, Object>())
        .description(description);
  }

  /** Adds the option {@code builder} builds; returns it, to read its value after parsing. */
  static OptionSpec add(CommandSpec spec, OptionSpec.Builder builder) {
    OptionSpec option = builder.build();
    spec.addOption(option);
    return option;
  }

  /** Adds a positional parameter of one value. */
  static PositionalParamSpec positional(
      CommandSpec spec, String index, String paramLabel, Class<?> type, String description) {
    return positional(
        spec,
        PositionalParamSpec.builder()
            .index(index)
            .paramLabel(paramLabel)
            .type(type)
            .description(description));
  }

  /** Adds {@code 1..*} positional parameters of {@code type}: a list. */
  static PositionalParamSpec positionals(
      CommandSpec spec, String paramLabel, Class<?> type, String description) {
    return positional(
        spec,
        PositionalParamSpec.builder()
            .arity("1..*")
            .paramLabel(paramLabel)
            .type(List.class)
            .auxiliaryTypes(type)
            .description(description));
  }

  /**
   * Adds the positional parameter {@code builder} builds: one value unless it says another arity,
   * required when its arity asks for at least one (what picocli derives for annotated parameters).
   */
  static PositionalParamSpec positional(CommandSpec spec, PositionalParamSpec.Builder builder) {
    if (builder.arity() == null) {
      builder.arity("1");
    }
    PositionalParamSpec parameter = builder.required(builder.arity().min() > 0).build();
    spec.addPositional(parameter);
    return parameter;
  }

  /** True when {@code option} was given on the command line (not only its initial value). */
  static boolean given(CommandSpec spec, String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }
}
