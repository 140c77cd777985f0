/**
 * Server start: validate the configuration (a bad value stops the boot with a message naming the
 * variable) and log the one line that says which drivers are active and where mail goes.
 */
import { ConfigError, describeDrivers, describeMail, getConfig } from "./config";

export function bootCheck(): void {
  try {
    const config = getConfig();
    console.log(`stampede: ${describeDrivers(config)} ${describeMail(config)}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`stampede: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
