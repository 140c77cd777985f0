export function EmptyChat() {
  return (
    <div className="flex flex-col items-center gap-2 pt-[12vh] text-center">
      <h2 className="text-2xl font-semibold tracking-tight">What can I help with?</h2>
      <p className="max-w-md text-sm text-muted-foreground">
        Ask anything. Replies appear as they are written, and your chats are kept in the sidebar.
      </p>
    </div>
  );
}
