/**
 * Server start: validate the configuration (a bad value stops the boot with a message naming the
 * variable) and log the one line that says which drivers are active.
 */
import { ConfigError, describeDrivers, getConfig } from "./config";

export function bootCheck(): void {
  try {
    console.log(`stampede: ${describeDrivers(getConfig())}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`stampede: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
