package dev.kamado.trainer;

import dev.kamado.api.training.TrainerContract;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar kamado-trainer.jar}: {@code train} (also the default when the first argument is an option, so the
 * operator's {@code --config /etc/kamado/training.json} runs a training), {@code init-model} and {@code merge}.
 *
 * <p>Exit codes: 0 success; {@value TrainerContract#EXIT_INVALID_INPUT} invalid input (configuration, dataset or
 * model files; the message names file, line or field); 2 invalid command line; 1 any other failure.
 */
@Command(name = "kamado-trainer", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Fine-tunes Llama-family models (LoRA or full) and continues pre-training, on CPU or GPU.",
    subcommands = {TrainCommand.class, InitModelCommand.class, MergeCommand.class, EngineCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Without a command, options go to 'train': kamado-trainer --config /etc/kamado/training.json",
        "Exit codes: 0 done, 3 invalid input (configuration, dataset, model files), 2 bad command line, 1 failure."})
public final class Main implements Runnable {

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code. */
  public static int run(String... args) {
    String[] effective = args;
    if (args.length > 0 && args[0].startsWith("-") && !Arrays.asList("-h", "--help", "-V", "--version")
        .contains(args[0])) {
      effective = new String[args.length + 1];
      effective[0] = "train";
      System.arraycopy(args, 0, effective, 1, args.length);
    }
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof InvalidInputException) {
        commandLine.getErr().println("error: " + e.getMessage());
        return TrainerContract.EXIT_INVALID_INPUT;
      }
      commandLine.getErr().println("error: " + e);
      e.printStackTrace(commandLine.getErr());
      return 1;
    });
    return cli.execute(effective);
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** The jar's version. */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Version for {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"kamado-trainer " + version()};
    }
  }
}
