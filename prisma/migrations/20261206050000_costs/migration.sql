-- Costs and budgets: each reply's cost in micro-dollars, and a user's own budgets in cents.
ALTER TABLE "message" ADD COLUMN "costMicros" INTEGER;

ALTER TABLE "user" ADD COLUMN "dailyBudgetCents" INTEGER,
ADD COLUMN "monthlyBudgetCents" INTEGER;
