import { strict as assert } from "node:assert";
import { engineErrorMessage, isEngineError } from "../../src/cli/engine-errors";
import { engineErrorGist } from "../../src/rollout/automation-workspace";
import { EngineError } from "../../src/rollout/workspace";

/** What the Automation API threw in these cases (pulumi 3.248, recorded from real runs). */
const dump = (command: string, code: number, error: string): Error =>
  new Error(
    `code: -2\n stdout: \n stderr: Command failed with exit code ${code}: ${command}\n${error}\n err?: Error: Command failed with exit code ${code}: ${command}\n${error}\n`,
  );

const SELECT = "pulumi stack select --stack pc2 --non-interactive";
const PREVIEW =
  "pulumi preview --message cascade deploy pc2 --diff --color never --exec-kind auto.local --stack pc2 --non-interactive";

describe("cli: engine errors as one line with the next step", () => {
  const cases: [string, Error, RegExp][] = [
    [
      "not logged in",
      dump(
        SELECT,
        3,
        "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
      ),
      /pulumi login --local.*PULUMI_BACKEND_URL/,
    ],
    [
      "no such stack in the backend",
      dump(SELECT, 6, "error: no stack named 'pc2' found"),
      /pulumi stack init pc2/,
    ],
    [
      "no passphrase",
      dump(
        PREVIEW,
        1,
        "error: getting stack configuration: get stack secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables",
      ),
      /stack "pc2" keeps its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE/,
    ],
    [
      "a wrong passphrase",
      dump(PREVIEW, 1, "error: getting secrets manager: incorrect passphrase"),
      /passphrase of stack "pc2" is wrong/,
    ],
    [
      "anything else",
      dump(PREVIEW, 255, "error: an unhandled error occurred: boom\nmore\nlines"),
      /^pulumi preview failed: an unhandled error occurred: boom \(CASCADE_DEBUG=1/,
    ],
  ];
  for (const [what, error, expected] of cases) {
    it(what, () => {
      assert.ok(isEngineError(error));
      const line = engineErrorMessage(error);
      assert.match(line, expected);
      assert.doesNotMatch(line, /\n|code: -2|stdout:|err\?/);
    });
  }

  it("the rollout's EngineError (the gist of the engine's output), with the command line's stack", () => {
    const error = new EngineError(
      engineErrorGist(
        "code: 255\n stdout: \n stderr: error: getting stack configuration: get stack secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n",
      ),
    );
    assert.ok(isEngineError(error));
    const line = engineErrorMessage(error, "pc2");
    assert.match(
      line,
      /^stack "pc2" keeps its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE/,
    );
    const other = engineErrorMessage(new EngineError("error: boom\n  error: and more"), "pc2");
    assert.match(other, /^boom \(CASCADE_DEBUG=1/);
    assert.doesNotMatch(other, /\n/);
  });

  it("other errors are not taken for the engine's", () => {
    assert.equal(isEngineError(new Error("ENOENT: no such file")), false);
  });
});
