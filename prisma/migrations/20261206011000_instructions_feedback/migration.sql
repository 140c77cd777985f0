-- Custom instructions (named presets, one default per user) and each chat's choice among them.
CREATE TABLE "instruction_preset" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instruction_preset_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "instruction_preset_userId_name_key" ON "instruction_preset"("userId", "name");

-- At most one default per user, whatever two requests race.
CREATE UNIQUE INDEX "instruction_preset_one_default_per_user" ON "instruction_preset"("userId") WHERE "isDefault";

ALTER TABLE "instruction_preset" ADD CONSTRAINT "instruction_preset_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "chat_instructions" (
    "userId" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "presetId" TEXT,

    CONSTRAINT "chat_instructions_pkey" PRIMARY KEY ("userId", "chatId")
);

ALTER TABLE "chat_instructions" ADD CONSTRAINT "chat_instructions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "chat_instructions" ADD CONSTRAINT "chat_instructions_presetId_fkey" FOREIGN KEY ("presetId") REFERENCES "instruction_preset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Feedback on replies, with the reply's model and the user's plan when it was given.
CREATE TABLE "reply_feedback" (
    "chatId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "rating" TEXT NOT NULL,
    "comment" TEXT,
    "model" TEXT NOT NULL,
    "plan" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "reply_feedback_pkey" PRIMARY KEY ("userId", "chatId", "messageId")
);

CREATE INDEX "reply_feedback_updatedAt_idx" ON "reply_feedback"("updatedAt" DESC);

ALTER TABLE "reply_feedback" ADD CONSTRAINT "reply_feedback_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
