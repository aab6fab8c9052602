package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code java -jar imagestream.jar <command>}: the entry point for every command. */
@Command(name = "imagestream", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Classifies images flowing through Apache Kafka with a CNN, and retrains it from labelled images.",
    subcommands = {
        DemoCommand.class, BrokerCommand.class, TopicsCommand.class, ClassifyCommand.class, TrainCommand.class,
        PublishCommand.class, TailCommand.class, FitCommand.class, EvaluateCommand.class, PredictCommand.class,
        ImportKerasCommand.class, ModelsCommand.class, ConsoleCommand.class, BenchCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  // Read by Logging.configure before picocli parses anything (log levels must be set before the first logger);
  // declared here so that every command accepts it and lists it in its help.
  @CommandLine.Option(names = Logging.VERBOSE_OPTION, scope = CommandLine.ScopeType.INHERIT,
      description = "Also log the libraries' (Kafka, ND4J) INFO lines (env " + Logging.VERBOSE_ENV + "=1; "
          + Logging.LEVEL_ENV + "=LEVEL sets their level).")
  boolean verbose;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    Logging.configure(args, System.getenv());
    CommandLine cli = commandLine();
    try {
      return cli.execute(args);
    } finally {
      cli.getOut().flush();
      cli.getErr().flush();
    }
  }

  /** Runs a command writing to the given streams instead of System.out and System.err. */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    Logging.configure(args, System.getenv());
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(new EnvironmentDefaults(System.getenv()));
    cli.setExecutionExceptionHandler(Errors::handle);
    cli.setParameterExceptionHandler(Errors::handleInvalidInput);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code --batch-size} defaults to {@code $IMAGESTREAM_BATCH_SIZE} when set (the contract's env overrides). */
  record EnvironmentDefaults(Map<String, String> environment) implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec argSpec) {
      if (argSpec instanceof OptionSpec option && option.longestName().startsWith("--")) {
        String value = environment.get(ImagestreamConfig.environmentName(option.longestName().substring(2)));
        if (value != null && !value.isBlank()) {
          return value;
        }
      }
      return argSpec.defaultValue();
    }
  }

  /** The pom's version, written into {@code version.properties} by the build (the same one CHANGELOG.md names). */
  static final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "/io/imagestream/version.properties";

    @Override
    public String[] getVersion() {
      return new String[] {"imagestream " + current()};
    }

    static String current() {
      try (java.io.InputStream in = Main.class.getResourceAsStream(RESOURCE)) {
        java.util.Properties properties = new java.util.Properties();
        if (in != null) {
          properties.load(in);
        }
        String version = properties.getProperty("version", "");
        return version.isEmpty() || version.startsWith("${") ? "(development build)" : version;
      } catch (java.io.IOException e) {
        return "(development build)";
      }
    }
  }
}
