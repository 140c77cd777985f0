/**
 * Server start: validate the configuration (a bad value stops the boot with a message naming the
 * variable), claim the embedded database for this process, and log the one line that says which
 * drivers are active and where mail goes.
 */
import { ConfigError, describeDrivers, describeMail, getConfig } from "./config";
import { claimDataDir, DataDirInUseError } from "./db/data-dir-lock";

export function bootCheck(): void {
  try {
    const config = getConfig();
    // Claimed at start, so a second process on the same embedded database stops here, untouched.
    if (config.database.driver === "pglite") claimDataDir(config.database.dataDir);
    console.log(`stampede: ${describeDrivers(config)} ${describeMail(config)}`);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DataDirInUseError) {
      console.error(`stampede: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
