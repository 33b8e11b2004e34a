"""A cook's shopping list: merged from the meal plan or single recipes, by aisle."""
